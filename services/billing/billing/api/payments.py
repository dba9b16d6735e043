"""Operator routes for invoices getting paid (issue 15, items 5 and 7): import a bank
statement, list and assign what it could not match, undo a wrong match, record a payment by
hand, write an invoice off. They need the operator token (`servicekit.http.deps.REQUIRES_OPERATOR`)."""

from __future__ import annotations

import asyncio
from concurrent.futures import ThreadPoolExecutor
from datetime import date
from typing import Annotated

from fastapi import APIRouter, Depends, Query, Request
from fastapi.responses import JSONResponse
from pydantic import BaseModel, Field

from billing.adapters import camt
from billing.api.schemas import PAGES
from billing.domain.bank import UnreadableStatement
from billing.domain.payments import Balance, Change, Outcome, Payment
from billing.handlers import payments
from billing.store.bank import StoredEntry
from billing.store.uow import BillingUnitOfWork
from contracts.errors import Refusal, RuleViolation
from contracts.values import Money
from servicekit.http.deps import OPERATOR_ONLY, REQUIRES_OPERATOR, Commands
from servicekit.http.errors import error_response
from servicekit.http.fields import Line
from servicekit.http.pagination import PageRequest, page_request, paged
from servicekit.runtime import Runtime

XML_TYPES = ("application/xml", "text/xml")
MAX_AMOUNT_MINOR = 10**13  # 100 billion in a currency of cents: past any invoice billing issues

# Reading a statement of 10,000 entries holds the CPU for about 2 s, mostly in Python: in this
# pool, one file at a time, the event loop keeps serving requests and consumers meanwhile.
_READER = ThreadPoolExecutor(max_workers=1, thread_name_prefix="billing-camt")

router = APIRouter(prefix="/ops", tags=["operations"], dependencies=[REQUIRES_OPERATOR])
STATEMENTS_PATH = "/ops/bank-statements"  # its body is a file: billing's app gives it a larger body limit


class EntryItem(BaseModel):
    """One entry of an imported statement, and what it did."""

    entry_id: str = Field(description="The bank's reference of the entry (`AcctSvcrRef`, or statement id + position).")
    direction: str = Field(description="`credit` (money in) or `debit` (money out).")
    amount: Money
    booked_on: date
    reference: str | None = Field(description="The payer's reference or remittance text, as sent.")
    counterparty_name: str | None
    invoice_id: str | None
    invoice_number: str | None = Field(description="The invoice it paid or reopened, or would have.")
    invoice_state: str | None = Field(description="The invoice's payment state right after this entry.")
    unapplied: Money | None = Field(description="Paid beyond what the invoice owed: for the finance team.")
    note: str | None = Field(description="Why it was not matched.")


class StatementSummary(BaseModel):
    statement_id: str
    account_iban: str
    created_at: str = Field(description="The statement's creation time, as the bank wrote it.")
    imported_at: str
    already_imported: bool = Field(description="True: imported before; this is that import's summary, nothing changed.")
    entries: int = Field(description="Entries read (booked ones; one per transaction of a batch).")
    matched: list[EntryItem] = Field(description="Credits that paid their invoice in full.")
    partially_paid: list[EntryItem] = Field(description="Credits that paid part of their invoice.")
    unmatched: list[EntryItem] = Field(description="Entries no invoice or payment was found for: assign them.")
    duplicates: list[EntryItem] = Field(description="Entries imported before: nothing done.")
    reversals: list[EntryItem] = Field(description="Debits returning a recorded payment: the invoice is reopened.")


class BankEntryView(BaseModel):
    account_iban: str
    entry_id: str
    statement_id: str
    direction: str
    amount: Money
    booked_on: date
    value_on: date | None
    reference: str | None
    end_to_end_id: str | None
    counterparty_name: str | None
    counterparty_iban: str | None
    return_reason: str | None
    outcome: str = Field(description="`matched`, `unmatched`, `reversal` or `assigned`.")
    invoice_id: str | None
    payment_id: str | None
    note: str | None

    @classmethod
    def of(cls, entry: StoredEntry) -> BankEntryView:
        plain = {k: getattr(entry, k) for k in cls.model_fields if k not in ("direction", "amount", "outcome")}
        return cls(
            **plain,
            direction=entry.direction.value,
            amount=Money(amount_minor=entry.amount_minor, currency=entry.currency),
            outcome=entry.outcome.value,
        )


class PaymentView(BaseModel):
    payment_id: str
    amount: Money
    method: str = Field(description="`bank_transfer`, `direct_debit` or `manual`.")
    received_on: date
    bank_entry_id: str | None
    note: str | None
    reversed_on: date | None
    reversal_reason: str | None

    @classmethod
    def of(cls, payment: Payment) -> PaymentView:
        return cls(
            payment_id=payment.payment_id,
            amount=Money(amount_minor=payment.amount_minor, currency=payment.currency),
            method=payment.method.value,
            received_on=payment.received_on,
            bank_entry_id=payment.bank_entry_id,
            note=payment.note,
            reversed_on=payment.reversed_on,
            reversal_reason=payment.reversal_reason,
        )


class InvoicePaymentView(BaseModel):
    """An invoice's payment state after the operator's action."""

    invoice_id: str
    number: str
    account_id: str
    state: str = Field(description="`open`, `partially_paid`, `paid`, `overdue`, `void` or `uncollectible`.")
    total: Money
    paid: Money = Field(description="Received and applied, net of reversals.")
    open_amount: Money = Field(description="Still to pay.")
    due_on: date
    reason: str | None = Field(description="Of the last change, where one was given (a write-off's reason).")
    unapplied: Money | None = Field(None, description="Of the payment just recorded: beyond what the invoice owed.")
    payments: list[PaymentView]

    @classmethod
    def of(cls, change: Change, made: list[Payment]) -> InvoicePaymentView:
        balance: Balance = change.balance
        return cls(
            invoice_id=balance.invoice_id,
            number=balance.number,
            account_id=balance.account_id,
            state=balance.state.value,
            total=balance.money(balance.total_minor),
            paid=balance.money(balance.paid_minor),
            open_amount=balance.money(balance.open_minor),
            due_on=balance.due_on,
            reason=balance.reason,
            unapplied=balance.money(change.unapplied_minor) if change.unapplied_minor else None,
            payments=[PaymentView.of(payment) for payment in made],
        )


class AssignmentRequest(BaseModel):
    invoice_id: Line = Field(min_length=1, max_length=64, description="The invoice the credit pays.")


class AssignmentAnswer(BaseModel):
    entry: BankEntryView
    invoice: InvoicePaymentView


class UnassignmentRequest(BaseModel):
    reason: Line = Field(
        min_length=1, max_length=300, description="Why the match was wrong (one line): kept on the entry."
    )


class ManualPayment(BaseModel):
    amount_minor: int = Field(gt=0, le=MAX_AMOUNT_MINOR, description="Received, in minor units (cents).")
    currency: str = Field(pattern=r"^[A-Z]{3}$", description="ISO 4217; the invoice's.")
    received_on: date = Field(description="When the money arrived; not in the future.")
    note: Line | None = Field(None, max_length=500, description="How it was paid (cheque number, card receipt…).")


class WriteOff(BaseModel):
    reason: Line = Field(min_length=1, max_length=500, description="Why it will not be collected (one line).")


async def _xml_body(request: Request) -> bytes | JSONResponse:
    """The statement file, at most `camt.MAX_BYTES` (the service-wide body limit is set above it
    in `billing.app`, so no more than that limit is ever read)."""
    content_type = request.headers.get("content-type", "").split(";")[0].strip().lower()
    if content_type not in XML_TYPES:
        return error_response(
            415,
            "unsupported_media_type",
            "Send the camt.053/054 file as the body, with `Content-Type: application/xml`.",
        )
    data = await request.body()
    if len(data) > camt.MAX_BYTES:
        return error_response(
            413,
            "statement_too_large",
            f"A statement file may be at most {camt.MAX_BYTES // 2**20} MiB; ask the bank for daily statements.",
        )
    return data


AccountIban = Annotated[str | None, Query(max_length=34, pattern=r"^[A-Z0-9]+$")]
"""Which account's entry, when two accounts' statements use the same bank reference."""


def _ensure_entry_reference(entry_id: str) -> None:
    if len(entry_id) > 80:
        raise RuleViolation("bank_entry_not_found", "No bank entry has so long a reference.", refusal=Refusal.NOT_FOUND)


async def _entry_answer(entry: StoredEntry, change: Change, uow: BillingUnitOfWork) -> AssignmentAnswer:
    """The entry as it is now, and the invoice it paid or paid no longer."""
    made = await uow.payments.of_invoice(change.balance.invoice_id)
    now = (await uow.bank.entries_with_id(entry.entry_id, entry.account_iban))[0]
    return AssignmentAnswer(entry=BankEntryView.of(now), invoice=InvoicePaymentView.of(change, made))


@router.post(
    STATEMENTS_PATH.removeprefix(router.prefix),
    response_model=StatementSummary,
    summary="Import a bank statement (camt.053, camt.054) and match its entries to invoices",
    description=(
        f"{OPERATOR_ONLY} The body is the file itself (`Content-Type: application/xml`, at most 5 MiB: 413 "
        "`statement_too_large` past it). A file billing cannot read is refused whole (422 "
        "`unreadable_statement`, the message says why). Credits pay the invoice whose `RF…` reference "
        "they quote, else the invoice whose number is their EndToEndId (direct debits), else the one "
        "invoice open for exactly their amount; debits returning a recorded payment reopen its invoice. "
        "One transaction; a statement imported before answers that import's summary and changes nothing."
    ),
    openapi_extra={
        "requestBody": {
            "required": True,
            "content": {"application/xml": {"schema": {"type": "string", "format": "binary"}}},
        }
    },
    responses={415: {"description": "Not sent as `application/xml`."}},
)
async def import_bank_statement(request: Request, commands: Commands) -> JSONResponse:
    data = await _xml_body(request)
    if isinstance(data, JSONResponse):
        return data
    try:
        statement = await asyncio.get_running_loop().run_in_executor(_READER, camt.read_statement, data)
    except UnreadableStatement as error:
        raise RuleViolation("unreadable_statement", str(error), refusal=Refusal.INVALID) from None

    async def act(uow: BillingUnitOfWork) -> StatementSummary:
        return StatementSummary.model_validate(await payments.import_statement(statement, uow))

    return await commands.run(request, None, None, act)


@router.get(
    "/bank-entries",
    response_model=list[BankEntryView],
    summary="Bank entries imported, in import order; `?outcome=unmatched` for those to assign",
    description=f"{OPERATOR_ONLY} {PAGES.replace('items', 'entries')}",
)
async def bank_entries(
    request: Request,
    page: Annotated[PageRequest, Depends(page_request)],
    runtime: Runtime,
    outcome: Annotated[Outcome | None, Query(description="Only entries with this outcome.")] = None,
) -> JSONResponse:
    uow: BillingUnitOfWork
    async with runtime.uow() as uow:
        found = await uow.bank.page(outcome, page)
    return paged(request, page, found, lambda entry: (entry.seq,), BankEntryView.of)


@router.post(
    "/bank-entries/{entry_id:path}/assignment",
    response_model=AssignmentAnswer,
    summary="Say which invoice an unmatched credit pays",
    description=(
        f"{OPERATOR_ONLY} Only an unmatched credit (409 `entry_not_assignable` otherwise); it is recorded "
        "as a bank transfer paying the invoice. `account_iban` tells entries of two accounts with the "
        "same bank reference apart (409 `ambiguous_entry` without it)."
    ),
)
async def assign_entry(
    entry_id: str,
    body: AssignmentRequest,
    request: Request,
    commands: Commands,
    account_iban: AccountIban = None,
) -> JSONResponse:
    _ensure_entry_reference(entry_id)

    async def act(uow: BillingUnitOfWork) -> AssignmentAnswer:
        entry, change = await payments.assign_entry(entry_id, account_iban, body.invoice_id, uow)
        return await _entry_answer(entry, change, uow)

    return await commands.run(request, None, body, act)


@router.post(
    "/invoices/{invoice_id}/payments",
    response_model=InvoicePaymentView,
    status_code=201,
    summary="Record a payment received some other way than the bank statements",
    description=(
        f"{OPERATOR_ONLY} In the invoice's currency (422 `currency_mismatch`), received on a day not in "
        "the future; past what the invoice owes, the excess is `unapplied`. Not on a void invoice (409). "
        "Send an `Idempotency-Key`: a retry then records nothing twice."
    ),
)
async def record_payment(invoice_id: str, body: ManualPayment, request: Request, commands: Commands) -> JSONResponse:
    async def act(uow: BillingUnitOfWork) -> InvoicePaymentView:
        change = await payments.record_manual_payment(
            invoice_id, body.amount_minor, body.currency, body.received_on, body.note, uow
        )
        return InvoicePaymentView.of(change, await uow.payments.of_invoice(invoice_id))

    return await commands.run(request, None, body, act, status_code=201)


@router.post(
    "/invoices/{invoice_id}/write-off",
    response_model=InvoicePaymentView,
    summary="Write an invoice off: it will not be collected (uncollectible)",
    description=f"{OPERATOR_ONLY} With a reason. Not a paid, void or already written-off invoice (409).",
)
async def write_off(invoice_id: str, body: WriteOff, request: Request, commands: Commands) -> JSONResponse:
    async def act(uow: BillingUnitOfWork) -> InvoicePaymentView:
        change = await payments.write_off(invoice_id, body.reason, uow)
        return InvoicePaymentView.of(change, await uow.payments.of_invoice(invoice_id))

    return await commands.run(request, None, body, act)


@router.post(
    "/bank-entries/{entry_id:path}/unassignment",
    response_model=AssignmentAnswer,
    summary="Undo the match of a credit that paid the wrong invoice (issue 15)",
    description=(
        f"{OPERATOR_ONLY} The payment the entry made is reversed as a bank return is (`billing.payment_reversed` "
        "with reason `unassigned`; the invoice owes it again, `overdue` if past its due date, and dunning "
        "follows), and the entry is `unmatched` again, its note saying what it paid and why it no longer "
        "does: assign it to the right invoice. Only a credit that paid an invoice and was not returned "
        "since (409 `entry_not_matched` otherwise, a second unassignment too). Send an `Idempotency-Key`: a "
        "retry answers the same. `account_iban` as for an assignment."
    ),
)
async def unassign_entry(
    entry_id: str,
    body: UnassignmentRequest,
    request: Request,
    commands: Commands,
    account_iban: AccountIban = None,
) -> JSONResponse:
    _ensure_entry_reference(entry_id)

    async def act(uow: BillingUnitOfWork) -> AssignmentAnswer:
        entry, change = await payments.unassign_entry(entry_id, account_iban, body.reason, uow)
        return await _entry_answer(entry, change, uow)

    return await commands.run(request, None, body, act)
