"""Issuing invoices inside the unit of work of whatever made them due (R30, R31, R32).

Annual and fixed-term lines are issued by the event that made them; monthly lines by the
monthly run, a due job at 00:00 UTC on the 1st that schedules the next one.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from billing.domain import invoices
from billing.domain.invoices import Invoice, InvoiceDraft
from billing.domain.lines import InvoiceLine
from billing.domain.parties import Buyer, Sellers
from billing.domain.subscriptions import SubscriptionView
from billing.handlers import collections, payments
from billing.store import prints
from billing.store.uow import BillingUnitOfWork
from contracts.billing import InvoiceIssued, InvoiceLineView
from servicekit.scheduler import DONE_JOBS_KEPT, DueJob


@dataclass(frozen=True)
class Invoicing:
    """What issuing needs besides the unit of work: who sells, and where invoices are read."""

    sellers: Sellers
    portal_url: str


async def issue_due_at_once(view: SubscriptionView, caused_by: str, uow: BillingUnitOfWork, with_: Invoicing) -> None:
    pending = await uow.lines.pending_lines_of(view.subscription_id)
    due = invoices.due_at_once(pending, view)
    await _issue(invoices.group_lines(due, {view.subscription_id: view}), caused_by, uow.now(), uow, with_)
    if len(due) < len(pending):
        await schedule_monthly_run(min(line.period_start for line in pending if line not in due), uow)


async def run_monthly_invoicing(job: DueJob, uow: BillingUnitOfWork, with_: Invoicing) -> None:
    """R30: one invoice per account and PO number with every line that took effect before the 1st."""
    lines = await uow.lines.pending_lines_before(job.due_at)
    views = await uow.subscriptions.views({line.subscription_id for line in lines})
    await _issue(invoices.group_lines(lines, views), job.job_id, job.due_at, uow, with_)
    await schedule_monthly_run(job.due_at, uow)


async def schedule_monthly_run(after: datetime, uow: BillingUnitOfWork) -> None:
    """The run on the 1st after `after`; a run already done or pending is left as it is. Done
    runs are forgotten after `DONE_JOBS_KEPT`, and asking again for one of those would run it a
    second time: a line that late goes to the earliest run still remembered (runs chain month
    after month, each taking every line pending before it)."""
    due_at = invoices.first_of_next_month(max(after, uow.now() - DONE_JOBS_KEPT))
    await uow.schedule(invoices.monthly_run_job_id(due_at), invoices.MONTHLY_RUN, "billing", due_at)


async def _issue(
    drafts: list[InvoiceDraft], caused_by: str, issued_at: datetime, uow: BillingUnitOfWork, with_: Invoicing
) -> None:
    """Each draft numbered in its seller's series, taxed, stored and announced, in the unit of
    work of what made it due: if that rolls back, so does the number (no gap)."""
    for draft in drafts:
        admin = draft.administrator
        buyer = Buyer.of(await uow.buyers.details_of(draft.account_id), admin.name, admin.email)
        seller = with_.sellers.for_buyer(buyer.country)
        sequence = await uow.invoices.next_sequence(invoices.counter_name(seller.seller_id, draft.kind, issued_at))
        invoice = invoices.issue(draft, invoices.invoice_id_for(caused_by, draft), sequence, issued_at, seller, buyer)
        await record_issued(invoice, uow, with_.portal_url)


async def record_issued(invoice: Invoice, uow: BillingUnitOfWork, portal_url: str) -> None:
    """What follows the numbering of every invoice and credit note, in the transaction that
    numbered it: kept, announced, queued for its printer (the printer is woken once this
    commits rather than at its next poll: the invoice e-mail waits for the PDF), entered in
    payments (a credit note lowers what the invoice it corrects owes), and given its SEPA
    collection when the account gave a mandate."""
    await uow.invoices.add(invoice)
    await uow.publish(invoice_issued(invoice, portal_url))
    await uow.prints.queue(invoice.invoice_id, uow.now())
    uow.after_commit(prints.invoices_issued)
    await payments.invoice_issued(invoice, uow)
    await collections.invoice_issued(invoice, uow)  # by direct debit on its due date, given a mandate


def invoice_issued(invoice: Invoice, portal_url: str) -> InvoiceIssued:
    return InvoiceIssued(
        invoice_id=invoice.invoice_id,
        number=invoice.number,
        kind=invoice.kind.value,
        account_id=invoice.account_id,
        administrator=invoice.administrator,
        po_number=invoice.po_number,
        issued_at=invoice.issued_at,
        total=invoice.total,
        net_total=invoice.net_total,
        vat_total=invoice.vat_total,
        vat=invoices.vat_summary_view(invoice),
        due_on=invoice.due_on,
        seller_id=invoice.seller.seller_id if invoice.seller else None,
        buyer_name=invoice.buyer.legal_name,
        invoicing_email=invoice.buyer.email,
        payment_reference=invoice.payment_reference,
        language=invoice.language,
        corrects=invoice.corrects,
        lines=[_line_view(line) for line in invoice.lines],
        url=f"{portal_url.rstrip('/')}/invoices/{invoice.invoice_id}",
    )


def _line_view(line: InvoiceLine) -> InvoiceLineView:
    return InvoiceLineView(
        description=line.description,
        subscription_id=line.subscription_id,
        amount=line.amount,
        vat_rate=str(line.vat.rate) if line.vat else None,
        vat=line.vat.tax if line.vat else None,
    )
