"""Identity's unit of work: one transaction and the repositories of its aggregates."""

from __future__ import annotations

from identity.store.accounts import AccountRepository, ContactRepository
from identity.store.billing_details import BillingDetailsRepository
from identity.store.documents import DocumentRepository
from identity.store.links import LinkRepository, ResetRepository
from identity.store.people import PersonRepository
from identity.store.product_clients import ProductClientRepository
from identity.store.sessions import RefreshTokenRepository, SessionRepository
from identity.store.throttle import ThrottleRepository
from servicekit.store.uow import UnitOfWork, repository


class IdentityUnitOfWork(UnitOfWork):
    people = repository(PersonRepository)
    accounts = repository(AccountRepository)
    contacts = repository(ContactRepository)
    documents = repository(DocumentRepository)
    links = repository(LinkRepository)
    resets = repository(ResetRepository)
    sessions = repository(SessionRepository)
    refresh_tokens = repository(RefreshTokenRepository)
    product_clients = repository(ProductClientRepository)
    throttles = repository(ThrottleRepository)
    billing_details = repository(BillingDetailsRepository)
