"""Billing's unit of work: one transaction, with a repository per aggregate made on first use."""

from __future__ import annotations

from billing.store.bank import BankRepository
from billing.store.buyers import BuyerRepository
from billing.store.invoices import InvoiceRepository
from billing.store.lines import LineRepository
from billing.store.mandates import CollectionRepository, MandateRepository
from billing.store.payments import PaymentRepository
from billing.store.prints import PrintRepository
from billing.store.subscriptions import SubscriptionRepository
from servicekit.store.uow import UnitOfWork, repository


class BillingUnitOfWork(UnitOfWork):
    subscriptions = repository(SubscriptionRepository)  # billing's view of each, and parked seat events
    lines = repository(LineRepository)
    invoices = repository(InvoiceRepository)
    buyers = repository(BuyerRepository)  # each account's billing details
    payments = repository(PaymentRepository)  # each invoice's payment state, and its payments
    bank = repository(BankRepository)  # bank statements imported, and their entries
    prints = repository(PrintRepository)  # which invoices are printed for their e-mail
    mandates = repository(MandateRepository)  # SEPA Direct Debit mandates the accounts gave
    collections = repository(CollectionRepository)  # direct debits to collect, and the files written
