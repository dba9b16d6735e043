"""Invoices getting paid (issue 15, items 5 and 7), each in one unit of work with the events
it causes (outbox): the payment state made when an invoice is issued, the overdue check the
day after its due date, a bank statement imported, an unmatched entry assigned, a wrong match
undone, a payment recorded by hand, a write-off. The rules are `billing.domain.payments`'."""

from __future__ import annotations

import uuid
from collections.abc import Iterable
from dataclasses import replace
from datetime import UTC, date, datetime, time, timedelta
from typing import Any

from billing.domain import payments
from billing.domain.bank import Direction, Statement
from billing.domain.invoices import Invoice, InvoiceKind
from billing.domain.payments import Balance, Change, Decision, Ledger, Outcome, Payment, PaymentMethod, PaymentState
from billing.handlers import dunning
from billing.store.bank import StoredEntry
from billing.store.uow import BillingUnitOfWork
from contracts.billing import InvoiceStateChanged
from contracts.envelope import Event
from contracts.errors import Refusal, RuleViolation, not_found
from servicekit.scheduler import DueJob

JOB_SUBJECT = "billing"  # the stack's clock, as the monthly run's


async def invoice_issued(invoice: Invoice, uow: BillingUnitOfWork) -> None:
    """The new invoice's balance, open (a credit note: nothing to pay), and its overdue check
    at 00:00 UTC the day after its due date; a credit note correcting an invoice is applied to
    what that invoice owes."""
    change = payments.opened(invoice)
    await uow.payments.add_balance(change.balance, uow.now())
    await _publish(change.events, uow)
    if invoice.kind is InvoiceKind.INVOICE:
        due_at = datetime.combine(invoice.due_on + timedelta(days=1), time(), tzinfo=UTC)
        job_id = f"{payments.OVERDUE_CHECK}:{invoice.invoice_id}"
        await uow.schedule(job_id, payments.OVERDUE_CHECK, JOB_SUBJECT, due_at, {"invoice_id": invoice.invoice_id})
    elif invoice.corrects:
        corrected = await uow.payments.balance_of_number(invoice.corrects, lock=True)
        if corrected is not None:
            await _keep(
                payments.apply_credit_note(corrected, invoice.total.amount_minor, invoice.number, uow.now().date()), uow
            )


async def check_overdue(job: DueJob, uow: BillingUnitOfWork) -> None:
    """The due job: still unpaid the day after its due date, the invoice is overdue."""
    balance = await uow.payments.balance(str(job.payload.get("invoice_id", "")), lock=True)
    if balance is not None and (change := payments.mark_overdue(balance, uow.now().date())) is not None:
        await _keep(change, uow)


async def import_statement(statement: Statement, uow: BillingUnitOfWork) -> dict[str, Any]:
    """Every entry of the statement matched and applied, in one transaction; a statement
    imported before answers its earlier summary and changes nothing."""
    iban, statement_id = statement.account_iban, statement.statement_id
    now = uow.now()
    if not await uow.bank.claim_statement(iban, statement_id, statement.created_at_text, now):
        earlier = await uow.bank.summary_of(iban, statement_id)
        if earlier is None:  # claimed by an import that failed halfway: impossible, it would have rolled back
            raise RuleViolation("statement_being_imported", f"Statement {statement_id} is being imported; try again.")
        return {**earlier, "already_imported": True}
    done = payments.reconcile(statement, await _ledger_for(statement, uow))
    for balance in done.changed.values():
        await uow.payments.save_balance(balance, now)
    await uow.payments.add_payments(done.payments, now)
    await uow.payments.mark_reversed(done.reversals)
    await uow.bank.add_entries(iban, statement_id, done.decisions, now)
    await _publish(done.events, uow)
    summary = statement_summary(statement, done.decisions, now)
    await uow.bank.keep_summary(iban, statement_id, summary)
    return {**summary, "already_imported": False}


async def _ledger_for(statement: Statement, uow: BillingUnitOfWork) -> Ledger:
    """Everything an entry of the statement could name, read once (see `payments.Ledger`)."""
    credits = [entry for entry in statement.entries if entry.direction is Direction.CREDIT]
    debits = [entry for entry in statement.entries if entry.direction is Direction.DEBIT]
    by_reference = await uow.payments.ids_by_reference(
        {reference for entry in credits for reference in payments.rf_references(entry.reference)}
    )
    by_number = await uow.payments.ids_by_number({entry.end_to_end_id for entry in credits if entry.end_to_end_id})
    returned = await uow.payments.by_end_to_end({entry.end_to_end_id for entry in debits if entry.end_to_end_id})
    by_amount = await uow.payments.unsettled_with_open_amount(payments.credit_amounts(credits))
    named = {*by_reference.values(), *by_number.values(), *by_amount}
    named |= {payment.invoice_id for paid in returned.values() for payment in paid}
    return Ledger(
        balances=await uow.payments.balances(named, lock=True),
        by_reference=by_reference,
        by_number=by_number,
        payments_by_end_to_end=returned,
        seen_entry_ids=await uow.bank.known_entry_ids(statement.account_iban, [e.entry_id for e in statement.entries]),
    )


def statement_summary(statement: Statement, decisions: Iterable[Decision], imported_at: datetime) -> dict[str, Any]:
    """What the import did, entry by entry, grouped as the operator reads it. Entries that paid
    an invoice in full are `matched`, part of it `partially_paid`."""
    groups: dict[str, list[dict[str, Any]]] = {
        "matched": [],
        "partially_paid": [],
        "unmatched": [],
        "duplicates": [],
        "reversals": [],
    }
    count = 0
    for decision in decisions:
        count += 1
        groups[_group_of(decision)].append(_item(decision))
    return {
        "statement_id": statement.statement_id,
        "account_iban": statement.account_iban,
        "created_at": statement.created_at_text,
        "imported_at": imported_at.isoformat(),
        "entries": count,
        **groups,
    }


def _group_of(decision: Decision) -> str:
    if decision.outcome is Outcome.MATCHED:
        return "matched" if decision.state_after is PaymentState.PAID else "partially_paid"
    return {Outcome.DUPLICATE: "duplicates", Outcome.REVERSAL: "reversals"}.get(decision.outcome, "unmatched")


def _item(decision: Decision) -> dict[str, Any]:
    entry = decision.entry
    return {
        "entry_id": entry.entry_id,
        "direction": entry.direction.value,
        "amount": {"amount_minor": entry.amount_minor, "currency": entry.currency},
        "booked_on": entry.booked_on.isoformat(),
        "reference": entry.reference,
        "counterparty_name": entry.counterparty_name,
        "invoice_id": decision.invoice_id,
        "invoice_number": decision.invoice_number,
        "invoice_state": decision.state_after.value if decision.state_after else None,
        "unapplied": (
            {"amount_minor": decision.unapplied_minor, "currency": entry.currency} if decision.unapplied_minor else None
        ),
        "note": decision.note,
    }


async def assign_entry(
    entry_id: str, account_iban: str | None, invoice_id: str, uow: BillingUnitOfWork
) -> tuple[StoredEntry, Change]:
    """An operator says which invoice an unmatched credit pays: it is recorded as its payment."""
    entry = await _entry(entry_id, account_iban, uow)
    if entry.direction is not Direction.CREDIT or entry.outcome is not Outcome.UNMATCHED:
        what = "a debit" if entry.direction is Direction.DEBIT else f"already {entry.outcome.value}"
        raise RuleViolation("entry_not_assignable", f"Only an unmatched credit can be assigned; {entry_id} is {what}.")
    balance = await _balance(invoice_id, uow)
    payment = Payment(
        payment_id=await _next_payment_id(entry, uow),
        invoice_id=balance.invoice_id,
        account_id=balance.account_id,
        amount_minor=entry.amount_minor,
        currency=entry.currency,
        method=PaymentMethod.BANK_TRANSFER,
        received_on=entry.booked_on,
        bank_entry_id=entry.entry_id,
        end_to_end_id=entry.end_to_end_id,
    )
    change = payments.record_payment(balance, payment, uow.now().date())
    if not await uow.bank.mark_assigned(entry.seq, balance.invoice_id, payment.payment_id, uow.now()):
        raise RuleViolation("entry_not_assignable", f"{entry_id} was assigned meanwhile.")
    await uow.payments.add_payments([payment], uow.now())
    await _keep(change, uow)
    return entry, change


async def unassign_entry(
    entry_id: str, account_iban: str | None, reason: str, uow: BillingUnitOfWork
) -> tuple[StoredEntry, Change]:
    """An operator undoes the match of a credit that paid the wrong invoice (issue 15): its
    payment is reversed as a bank return is (the invoice's state, events and dunning follow),
    and the entry is unmatched again, keeping a note of what it paid and why, to be assigned to
    the right invoice."""
    entry = await _entry(entry_id, account_iban, uow)
    invoice_id, payment_id = entry.invoice_id, entry.payment_id
    paying = entry.direction is Direction.CREDIT and entry.outcome in (Outcome.MATCHED, Outcome.ASSIGNED)
    if not paying or invoice_id is None or payment_id is None:
        what = "a debit" if entry.direction is Direction.DEBIT else entry.outcome.value
        raise RuleViolation(
            "entry_not_matched", f"Only a credit that paid an invoice can be unassigned; {entry_id} is {what}."
        )
    balance = await _balance(invoice_id, uow)  # locked: the payment is read after any change to it
    made = {payment.payment_id: payment for payment in await uow.payments.of_invoice(invoice_id)}
    if (payment := made.get(payment_id)) is None:
        raise RuleViolation("entry_not_matched", f"{entry_id} names a payment {balance.number} does not have.")
    today = uow.now().date()
    change = payments.undo_match(balance, payment, today, entry_id)
    note = payments.undone_note(balance.number, payment.payment_id, today, reason)
    if not await uow.bank.mark_unmatched(entry.seq, payment.payment_id, note):
        raise RuleViolation("entry_not_matched", f"{entry_id} was unassigned meanwhile.")
    await uow.payments.mark_reversed([replace(payment, reversed_on=today, reversal_reason=payments.UNASSIGNED)])
    await _keep(change, uow)
    return entry, change


async def _entry(entry_id: str, account_iban: str | None, uow: BillingUnitOfWork) -> StoredEntry:
    found = await uow.bank.entries_with_id(entry_id, account_iban)
    if not found:
        raise RuleViolation(
            "bank_entry_not_found", f"No bank entry {entry_id} was imported.", refusal=Refusal.NOT_FOUND
        )
    if len(found) > 1:
        raise RuleViolation(
            "ambiguous_entry",
            f"Entries of {len(found)} accounts have the reference {entry_id}: say which with `?account_iban=`.",
        )
    return found[0]


async def _next_payment_id(entry: StoredEntry, uow: BillingUnitOfWork) -> str:
    """The entry's first derived payment id still free: its own if it never paid, else the one
    after those of the matches undone (their payments, reversed, keep theirs)."""
    first = 0
    while True:
        candidates = payments.payment_ids_for(entry.account_iban, entry.entry_id, first, 8)
        taken = await uow.bank.payment_ids_taken(candidates)
        free = [payment_id for payment_id in candidates if payment_id not in taken]
        if free:
            return free[0]
        first += len(candidates)


async def record_manual_payment(
    invoice_id: str, amount_minor: int, currency: str, received_on: date, note: str | None, uow: BillingUnitOfWork
) -> Change:
    """Money an operator saw arrive some other way (a cheque, a card payment, cash)."""
    today = uow.now().date()
    if received_on > today:
        raise RuleViolation(
            "received_in_the_future", f"A payment received on {received_on} is in the future.", refusal=Refusal.INVALID
        )
    balance = await _balance(invoice_id, uow)
    payment = Payment(
        payment_id=str(uuid.uuid4()),
        invoice_id=invoice_id,
        account_id=balance.account_id,
        amount_minor=amount_minor,
        currency=currency,
        method=PaymentMethod.MANUAL,
        received_on=received_on,
        note=note,
    )
    change = payments.record_payment(balance, payment, today)
    await uow.payments.add_payments([payment], uow.now())
    await _keep(change, uow)
    return change


async def write_off(invoice_id: str, reason: str, uow: BillingUnitOfWork) -> Change:
    change = payments.write_off(await _balance(invoice_id, uow), reason)
    await _keep(change, uow)
    return change


async def _balance(invoice_id: str, uow: BillingUnitOfWork) -> Balance:
    balance = await uow.payments.balance(invoice_id, lock=True)
    if balance is None:
        raise not_found("invoice", invoice_id)
    return balance


async def _keep(change: Change, uow: BillingUnitOfWork) -> None:
    await uow.payments.save_balance(change.balance, uow.now())
    await _publish(change.events, uow)


async def _publish(events: Iterable[Event], uow: BillingUnitOfWork) -> None:
    for event in events:
        if isinstance(event, InvoiceStateChanged):
            event = await _naming_subscriptions(event, uow)
        await uow.publish(event)
        if isinstance(event, InvoiceStateChanged):  # dunning begins, stops or ends with the state
            await dunning.invoice_state_changed(event, uow)


async def _naming_subscriptions(event: InvoiceStateChanged, uow: BillingUnitOfWork) -> InvoiceStateChanged:
    """The state change with the subscriptions the invoice charges: subscriptions refuses an
    add-on while one of a subscription's invoices is unsettled (R20, issue 15). Every state
    change is published here, after the invoice and its lines were stored, so the lines are
    read rather than carried on every balance."""
    lines = await uow.lines.lines_on_invoice(event.invoice_id)
    return event.model_copy(update={"subscription_ids": sorted({line.subscription_id for line in lines})})
