"""Each invoice's payment state (its balance) and the payments made to it (issue 15, item 5)."""

from __future__ import annotations

from collections.abc import Collection, Iterable, Sequence
from datetime import date, datetime
from typing import Any

from sqlalchemy import and_, insert, or_, select, update
from sqlalchemy.ext.asyncio import AsyncConnection

from billing.domain.payments import UNSETTLED, Balance, Payment, PaymentMethod, PaymentState
from billing.store.tables import invoice_balances, invoices, payments
from contracts.errors import Refusal, RuleViolation
from servicekit.http.pagination import PageRequest, keyset

# Bound parameters per IN list: far below SQLite's and PostgreSQL's limits, for statements of
# up to 10,000 entries.
CHUNK = 500


def chunks(values: Iterable[Any]) -> list[list[Any]]:
    listed = sorted(set(values))
    return [listed[i : i + CHUNK] for i in range(0, len(listed), CHUNK)]


class PaymentRepository:
    def __init__(self, conn: AsyncConnection) -> None:
        self._conn = conn

    # -- balances -----------------------------------------------------------------------------

    async def add_balance(self, balance: Balance, at: datetime) -> None:
        await self._conn.execute(insert(invoice_balances).values(**_balance_row(balance), changed_at=at))

    async def save_balance(self, balance: Balance, at: datetime) -> None:
        row = _balance_row(balance)
        await self._conn.execute(
            update(invoice_balances)
            .where(invoice_balances.c.invoice_id == balance.invoice_id)
            .values(
                **{k: row[k] for k in ("state", "paid_minor", "credited_minor", "open_minor", "reason")},
                changed_at=at,
            )
        )

    async def balance(self, invoice_id: str, *, lock: bool = False) -> Balance | None:
        """`lock`: held until the transaction ends (PostgreSQL), so two changes of one invoice
        apply one after the other."""
        query = select(invoice_balances).where(invoice_balances.c.invoice_id == invoice_id)
        row = (await self._conn.execute(query.with_for_update() if lock else query)).first()
        return _balance_of(row) if row else None

    async def balance_of_number(self, number: str, *, lock: bool = False) -> Balance | None:
        query = select(invoice_balances).where(invoice_balances.c.number == number)
        row = (await self._conn.execute(query.with_for_update() if lock else query)).first()
        return _balance_of(row) if row else None

    async def balances(self, invoice_ids: Collection[str], *, lock: bool = False) -> dict[str, Balance]:
        """By invoice id; locked in id order (so two imports never wait for each other in a circle)."""
        found: dict[str, Balance] = {}
        for chunk in chunks(invoice_ids):
            query = (
                select(invoice_balances)
                .where(invoice_balances.c.invoice_id.in_(chunk))
                .order_by(invoice_balances.c.invoice_id)
            )
            for row in await self._conn.execute(query.with_for_update() if lock else query):
                found[row.invoice_id] = _balance_of(row)
        return found

    async def unsettled_with_open_amount(self, amounts: Collection[tuple[int, str]]) -> list[str]:
        """Ids of the open, partially paid and overdue invoices owing exactly one of `amounts`."""
        found: list[str] = []
        for chunk in chunks(amounts):
            query = select(invoice_balances.c.invoice_id).where(
                invoice_balances.c.state.in_([state.value for state in UNSETTLED]),
                or_(
                    *(
                        and_(invoice_balances.c.open_minor == amount, invoice_balances.c.currency == currency)
                        for amount, currency in chunk
                    )
                ),
            )
            found += [invoice_id for (invoice_id,) in await self._conn.execute(query)]
        return found

    async def ids_by_reference(self, references: Collection[str]) -> dict[str, str]:
        """Invoice id by payment reference (`RF…`, compact), of the references given."""
        found: dict[str, str] = {}
        for chunk in chunks(references):
            query = select(invoices.c.payment_reference, invoices.c.invoice_id).where(
                invoices.c.payment_reference.in_(chunk)
            )
            found.update({reference: invoice_id for reference, invoice_id in await self._conn.execute(query)})
        return found

    async def ids_by_number(self, numbers: Collection[str]) -> dict[str, str]:
        found: dict[str, str] = {}
        for chunk in chunks(numbers):
            query = select(invoices.c.number, invoices.c.invoice_id).where(invoices.c.number.in_(chunk))
            found.update({number: invoice_id for number, invoice_id in await self._conn.execute(query)})
        return found

    # -- payments -----------------------------------------------------------------------------

    async def add_payments(self, made: Sequence[Payment], at: datetime) -> None:
        if made:
            await self._conn.execute(insert(payments), [{**_payment_row(p), "recorded_at": at} for p in made])

    async def mark_reversed(self, reversed_: Sequence[Payment]) -> None:
        """Each payment reversed once: a statement's return and an operator's unassignment of
        the same entry, committing side by side, cannot both take it back (the second is
        refused whole, and a retry sees the first)."""
        for payment in reversed_:
            done = await self._conn.execute(
                update(payments)
                .where(payments.c.payment_id == payment.payment_id, payments.c.reversed_on.is_(None))
                .values(reversed_on=payment.reversed_on, reversal_reason=payment.reversal_reason)
            )
            if done.rowcount != 1:
                raise RuleViolation(
                    "payment_already_reversed",
                    f"Payment {payment.payment_id} was reversed meanwhile; look at the invoice again.",
                    refusal=Refusal.CONFLICT,
                )

    async def by_end_to_end(self, end_to_end_ids: Collection[str]) -> dict[str, list[Payment]]:
        """Payments not yet reversed, by the bank's EndToEndId, oldest first."""
        found: dict[str, list[Payment]] = {}
        for chunk in chunks(end_to_end_ids):
            query = (
                select(payments)
                .where(payments.c.end_to_end_id.in_(chunk), payments.c.reversed_on.is_(None))
                .order_by(payments.c.recorded_at, payments.c.payment_id)
            )
            for row in await self._conn.execute(query):
                found.setdefault(row.end_to_end_id, []).append(_payment_of(row))
        return found

    async def of_invoice(self, invoice_id: str) -> list[Payment]:
        query = (
            select(payments)
            .where(payments.c.invoice_id == invoice_id)
            .order_by(payments.c.recorded_at, payments.c.payment_id)
        )
        return [_payment_of(row) for row in await self._conn.execute(query)]

    async def received_between(self, first: date, last: date, page: PageRequest) -> list[tuple[Payment, str]]:
        """Payments received from `first` to `last` (both included), with their invoice's
        number, in the order received, one page at a time (the accounting export)."""
        query = keyset(
            select(payments, invoice_balances.c.number)
            .join(invoice_balances, invoice_balances.c.invoice_id == payments.c.invoice_id)
            .where(payments.c.received_on >= first, payments.c.received_on <= last),
            (payments.c.received_on, payments.c.payment_id),
            page,
        )
        return [(_payment_of(row), row.number) for row in await self._conn.execute(query)]


def _balance_row(balance: Balance) -> dict[str, Any]:
    return dict(
        invoice_id=balance.invoice_id,
        number=balance.number,
        account_id=balance.account_id,
        currency=balance.currency,
        total_minor=balance.total_minor,
        due_on=balance.due_on,
        state=balance.state.value,
        paid_minor=balance.paid_minor,
        credited_minor=balance.credited_minor,
        open_minor=balance.open_minor,
        reason=balance.reason[:500] if balance.reason else None,
    )


def _balance_of(row: Any) -> Balance:
    return Balance(
        invoice_id=row.invoice_id,
        number=row.number,
        account_id=row.account_id,
        currency=row.currency,
        total_minor=row.total_minor,
        due_on=row.due_on,
        state=PaymentState(row.state),
        paid_minor=row.paid_minor,
        credited_minor=row.credited_minor,
        reason=row.reason,
    )


def _payment_row(payment: Payment) -> dict[str, Any]:
    return dict(
        payment_id=payment.payment_id,
        invoice_id=payment.invoice_id,
        account_id=payment.account_id,
        amount_minor=payment.amount_minor,
        currency=payment.currency,
        method=payment.method.value,
        received_on=payment.received_on,
        bank_entry_id=payment.bank_entry_id,
        end_to_end_id=payment.end_to_end_id,
        note=payment.note,
        reversed_on=payment.reversed_on,
        reversal_reason=payment.reversal_reason,
    )


def _payment_of(row: Any) -> Payment:
    return Payment(
        payment_id=row.payment_id,
        invoice_id=row.invoice_id,
        account_id=row.account_id,
        amount_minor=row.amount_minor,
        currency=row.currency,
        method=PaymentMethod(row.method),
        received_on=row.received_on,
        bank_entry_id=row.bank_entry_id,
        end_to_end_id=row.end_to_end_id,
        note=row.note,
        reversed_on=row.reversed_on,
        reversal_reason=row.reversal_reason,
    )
