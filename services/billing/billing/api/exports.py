"""Invoices and payments of a period as CSV, for the vendor's accounting (issue 15, item 7).
Operators only. The file streams out a page of rows at a time, each page read in a short
transaction of its own, so a year of invoices holds neither memory nor the database."""

from __future__ import annotations

from collections.abc import AsyncIterator, Awaitable, Callable, Sequence
from datetime import UTC, date, datetime, time, timedelta
from typing import Annotated, Any, TypeVar

from fastapi import APIRouter, Query
from fastapi.responses import StreamingResponse

from billing.adapters.exports import INVOICE_COLUMNS, PAYMENT_COLUMNS, csv_text, invoice_row, payment_row
from billing.api.payments import OPERATOR_ONLY
from billing.store.uow import BillingUnitOfWork
from contracts.errors import Refusal, RuleViolation
from servicekit.http.deps import REQUIRES_OPERATOR
from servicekit.http.pagination import PageRequest
from servicekit.runtime import Runtime, ServiceRuntime

LONGEST_PERIOD = timedelta(days=366)  # a year, leap or not: a bigger export is several calls
ROWS_PER_READ = 500

router = APIRouter(prefix="/ops/exports", tags=["operations"], dependencies=[REQUIRES_OPERATOR])
T = TypeVar("T")

From = Annotated[date, Query(alias="from", description="First day of the period (YYYY-MM-DD).")]
To = Annotated[
    date, Query(alias="to", description="Last day of the period, included (YYYY-MM-DD); at most 366 days after `from`.")
]


def _period(first: date, last: date) -> None:
    if last < first:
        raise RuleViolation(
            "invalid_period", f"The period ends ({last}) before it starts ({first}).", refusal=Refusal.INVALID
        )
    if last - first >= LONGEST_PERIOD:
        raise RuleViolation(
            "period_too_long", "A period is at most 366 days: export a longer one in parts.", refusal=Refusal.INVALID
        )


async def _pages(
    runtime: ServiceRuntime[Any],
    read: Callable[[BillingUnitOfWork, PageRequest], Awaitable[Sequence[T]]],
    key: Callable[[T], tuple[Any, ...]],
) -> AsyncIterator[list[T]]:
    after: tuple[Any, ...] | None = None
    while True:
        uow: BillingUnitOfWork
        async with runtime.uow() as uow:
            rows = await read(uow, PageRequest(limit=ROWS_PER_READ, after=after))
        if rows:
            yield list(rows[:ROWS_PER_READ])
        if len(rows) <= ROWS_PER_READ:
            return
        after = key(rows[ROWS_PER_READ - 1])


def _csv(filename: str, chunks: AsyncIterator[str]) -> StreamingResponse:
    return StreamingResponse(
        chunks,
        media_type="text/csv; charset=utf-8",
        headers={"Content-Disposition": f'attachment; filename="{filename}"'},
    )


@router.get(
    "/invoices.csv",
    response_class=StreamingResponse,
    responses={200: {"content": {"text/csv": {}}, "description": "One row per invoice and credit note."}},
    summary="Invoices and credit notes issued in a period, as CSV",
    description=(
        f"{OPERATOR_ONLY} Issued from `from` to `to` (UTC days, both included), oldest first: number, kind, "
        "dates, seller, buyer, PO number, net, VAT, total, the VAT per rate, the invoice a credit note "
        "corrects, and the payment state, paid and open amounts as they are now. Amounts are decimals "
        "with a point; a credit note's are negative. 422 `invalid_period` / `period_too_long` (over 366 days)."
    ),
)
async def invoices_csv(runtime: Runtime, first: From, last: To) -> StreamingResponse:
    _period(first, last)
    start = datetime.combine(first, time(), UTC)
    end = datetime.combine(last + timedelta(days=1), time(), UTC)

    async def chunks() -> AsyncIterator[str]:
        yield csv_text([INVOICE_COLUMNS])

        async def read(uow: BillingUnitOfWork, page: PageRequest) -> list[Any]:
            found = await uow.invoices.issued_between(start, end, page)
            balances = await uow.payments.balances([invoice.invoice_id for invoice in found])
            return [(invoice, balances.get(invoice.invoice_id)) for invoice in found]

        async for rows in _pages(runtime, read, lambda row: (row[0].issued_at, row[0].number)):
            yield csv_text(invoice_row(invoice, balance) for invoice, balance in rows)

    return _csv(f"invoices-{first}-{last}.csv", chunks())


@router.get(
    "/payments.csv",
    response_class=StreamingResponse,
    responses={200: {"content": {"text/csv": {}}, "description": "One row per payment."}},
    summary="Payments received in a period, as CSV",
    description=(
        f"{OPERATOR_ONLY} Received from `from` to `to` (both included), in the order received: the invoice "
        "paid, method, amount, the bank's entry, the operator's note, and when and why it was reversed "
        "(a returned direct debit). 422 `invalid_period` / `period_too_long` (over 366 days)."
    ),
)
async def payments_csv(runtime: Runtime, first: From, last: To) -> StreamingResponse:
    _period(first, last)

    async def chunks() -> AsyncIterator[str]:
        yield csv_text([PAYMENT_COLUMNS])

        async def read(uow: BillingUnitOfWork, page: PageRequest) -> list[Any]:
            return await uow.payments.received_between(first, last, page)

        async for rows in _pages(runtime, read, lambda row: (row[0].received_on, row[0].payment_id)):
            yield csv_text(payment_row(payment, number) for payment, number in rows)

    return _csv(f"payments-{first}-{last}.csv", chunks())
