"""Identity's unit of work: one transaction and the repositories of its aggregates."""

from __future__ import annotations

from identity.store.accounts import AccountRepository, ContactRepository
from identity.store.documents import DocumentRepository
from identity.store.links import LinkRepository, ResetRepository
from identity.store.people import PersonRepository
from identity.store.sessions import SessionRepository
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
    throttles = repository(ThrottleRepository)
