"""Billing's unit of work: one transaction, with a repository per aggregate made on first use."""

from __future__ import annotations

from billing.store.bank import BankRepository
from billing.store.buyers import BuyerRepository
from billing.store.invoices import InvoiceRepository
from billing.store.lines import LineRepository
from billing.store.payments import PaymentRepository
from billing.store.prints import PrintRepository, invoices_issued
from billing.store.subscriptions import SubscriptionRepository
from contracts.billing import InvoiceIssued
from contracts.envelope import Envelope, Event
from servicekit.store.uow import UnitOfWork, repository


class BillingUnitOfWork(UnitOfWork):
    subscriptions = repository(SubscriptionRepository)  # billing's view of each, and parked seat events
    lines = repository(LineRepository)
    invoices = repository(InvoiceRepository)
    buyers = repository(BuyerRepository)  # each account's billing details
    payments = repository(PaymentRepository)  # each invoice's payment state, and its payments
    bank = repository(BankRepository)  # bank statements imported, and their entries
    prints = repository(PrintRepository)  # which invoices are printed for their e-mail

    async def publish(self, event: Event, *, event_id: str | None = None) -> Envelope:
        if isinstance(event, InvoiceIssued):
            # Every issued invoice is printed for its e-mail: queued with it, and the printer
            # woken once it is committed rather than at its next poll (the e-mail waits for it).
            await self.prints.queue(event.invoice_id, self.now())
            self.after_commit(invoices_issued)
        return await super().publish(event, event_id=event_id)
