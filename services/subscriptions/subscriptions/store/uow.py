"""The unit of work of the subscriptions service: one transaction and the repositories on it."""

from __future__ import annotations

from servicekit.store.uow import UnitOfWork, repository
from subscriptions.store.agreements import AgreementRepository
from subscriptions.store.amendments import AmendmentRepository
from subscriptions.store.contacts import CompanyDirectory
from subscriptions.store.invoices import UnsettledInvoices
from subscriptions.store.subscriptions import SubscriptionRepository


class SubscriptionsUnitOfWork(UnitOfWork):
    subscriptions = repository(SubscriptionRepository)
    amendments = repository(AmendmentRepository)
    agreements = repository(AgreementRepository)  # R36
    contacts = repository(CompanyDirectory)  # the company directory (R17, R38)
    invoices = repository(UnsettledInvoices)  # billing's invoices not settled yet (R20)
