"""Bank statements imported and their entries (issue 15, item 5): each statement once per
account, each entry once per account and bank reference."""

from __future__ import annotations

import json
from collections.abc import Collection, Sequence
from dataclasses import dataclass
from datetime import date, datetime
from typing import Any

from sqlalchemy import insert, select, update
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.ext.asyncio import AsyncConnection

from billing.domain.bank import Direction
from billing.domain.payments import Decision, Outcome
from billing.store.payments import chunks
from billing.store.tables import bank_entries, bank_statements, payments
from servicekit.http.pagination import PageRequest, keyset


@dataclass(frozen=True)
class StoredEntry:
    """An entry as imported, and what became of it."""

    seq: int
    account_iban: str
    entry_id: str
    statement_id: str
    amount_minor: int
    currency: str
    direction: Direction
    booked_on: date
    value_on: date | None
    reference: str | None
    end_to_end_id: str | None
    counterparty_name: str | None
    counterparty_iban: str | None
    return_reason: str | None
    outcome: Outcome
    invoice_id: str | None
    payment_id: str | None
    note: str | None


class BankRepository:
    def __init__(self, conn: AsyncConnection) -> None:
        self._conn = conn

    async def claim_statement(self, account_iban: str, statement_id: str, created_at_text: str, at: datetime) -> bool:
        """Record that this statement is being imported; False if it was before. One INSERT …
        ON CONFLICT DO NOTHING: a second import of the same statement at the same moment waits
        for the first to commit, then finds it (and answers its summary)."""
        values = dict(
            account_iban=account_iban, statement_id=statement_id, created_at_text=created_at_text[:35], imported_at=at
        )
        dialect = postgresql if self._conn.dialect.name == "postgresql" else sqlite
        claim = (
            dialect.insert(bank_statements)
            .values(values)
            .on_conflict_do_nothing(index_elements=[bank_statements.c.account_iban, bank_statements.c.statement_id])
            .returning(bank_statements.c.seq)
        )
        return (await self._conn.execute(claim)).first() is not None

    async def summary_of(self, account_iban: str, statement_id: str) -> dict[str, Any] | None:
        row = (
            await self._conn.execute(
                select(bank_statements.c.summary).where(
                    bank_statements.c.account_iban == account_iban, bank_statements.c.statement_id == statement_id
                )
            )
        ).first()
        return json.loads(row.summary) if row and row.summary else None

    async def keep_summary(self, account_iban: str, statement_id: str, summary: dict[str, Any]) -> None:
        await self._conn.execute(
            update(bank_statements)
            .where(bank_statements.c.account_iban == account_iban, bank_statements.c.statement_id == statement_id)
            .values(summary=json.dumps(summary))
        )

    async def known_entry_ids(self, account_iban: str, entry_ids: Collection[str]) -> set[str]:
        found: set[str] = set()
        for chunk in chunks(entry_ids):
            query = select(bank_entries.c.entry_id).where(
                bank_entries.c.account_iban == account_iban, bank_entries.c.entry_id.in_(chunk)
            )
            found |= {entry_id for (entry_id,) in await self._conn.execute(query)}
        return found

    async def add_entries(
        self, account_iban: str, statement_id: str, decisions: Sequence[Decision], at: datetime
    ) -> None:
        """Every entry but the duplicates, which are already here."""
        rows = [
            _entry_row(account_iban, statement_id, decision, at)
            for decision in decisions
            if decision.outcome is not Outcome.DUPLICATE
        ]
        if rows:
            await self._conn.execute(insert(bank_entries), rows)

    async def page(self, outcome: Outcome | None, page: PageRequest) -> list[StoredEntry]:
        """In the order imported."""
        query = select(bank_entries)
        if outcome is not None:
            query = query.where(bank_entries.c.outcome == outcome.value)
        return [_entry_of(row) for row in await self._conn.execute(keyset(query, (bank_entries.c.seq,), page))]

    async def entries_with_id(self, entry_id: str, account_iban: str | None = None) -> list[StoredEntry]:
        query = select(bank_entries).where(bank_entries.c.entry_id == entry_id)
        if account_iban is not None:
            query = query.where(bank_entries.c.account_iban == account_iban)
        return [_entry_of(row) for row in await self._conn.execute(query.order_by(bank_entries.c.seq).limit(10))]

    async def mark_assigned(self, seq: int, invoice_id: str, payment_id: str, at: datetime) -> bool:
        """Only an entry still unmatched: False if another operator was first."""
        done = await self._conn.execute(
            update(bank_entries)
            .where(bank_entries.c.seq == seq, bank_entries.c.outcome == Outcome.UNMATCHED.value)
            .values(outcome=Outcome.ASSIGNED.value, invoice_id=invoice_id, payment_id=payment_id, assigned_at=at)
        )
        return done.rowcount == 1

    async def mark_unmatched(self, seq: int, payment_id: str, note: str) -> bool:
        """The entry's match undone: unmatched again, naming no invoice nor payment, with a note
        of what it paid and why it no longer does. Only while it still holds that payment: False
        if another operator undid it first."""
        done = await self._conn.execute(
            update(bank_entries)
            .where(
                bank_entries.c.seq == seq,
                bank_entries.c.outcome.in_([Outcome.MATCHED.value, Outcome.ASSIGNED.value]),
                bank_entries.c.payment_id == payment_id,
            )
            .values(
                outcome=Outcome.UNMATCHED.value, invoice_id=None, payment_id=None, note=note[:500], assigned_at=None
            )
        )
        return done.rowcount == 1

    async def payment_ids_taken(self, candidates: Collection[str]) -> set[str]:
        """Those of `candidates` that are the id of a payment already (reversed ones too): an
        entry assigned again after its match was undone takes the first of its ids still free.
        Read by primary key, as assigning is one entry at a time."""
        query = select(payments.c.payment_id).where(payments.c.payment_id.in_(list(candidates)))
        return {payment_id for (payment_id,) in await self._conn.execute(query)}


def _entry_row(account_iban: str, statement_id: str, decision: Decision, at: datetime) -> dict[str, Any]:
    entry = decision.entry
    return dict(
        account_iban=account_iban,
        entry_id=entry.entry_id,
        statement_id=statement_id,
        amount_minor=entry.amount_minor,
        currency=entry.currency,
        direction=entry.direction.value,
        booked_on=entry.booked_on,
        value_on=entry.value_on,
        reference=entry.reference[:1000] if entry.reference else None,
        end_to_end_id=entry.end_to_end_id,
        counterparty_name=entry.counterparty_name,
        counterparty_iban=entry.counterparty_iban,
        return_reason=entry.return_reason,
        outcome=decision.outcome.value,
        invoice_id=decision.invoice_id,
        payment_id=decision.payment_id,
        note=decision.note[:500] if decision.note else None,
        imported_at=at,
    )


def _entry_of(row: Any) -> StoredEntry:
    return StoredEntry(
        seq=row.seq,
        account_iban=row.account_iban,
        entry_id=row.entry_id,
        statement_id=row.statement_id,
        amount_minor=row.amount_minor,
        currency=row.currency,
        direction=Direction(row.direction),
        booked_on=row.booked_on,
        value_on=row.value_on,
        reference=row.reference,
        end_to_end_id=row.end_to_end_id,
        counterparty_name=row.counterparty_name,
        counterparty_iban=row.counterparty_iban,
        return_reason=row.return_reason,
        outcome=Outcome(row.outcome),
        invoice_id=row.invoice_id,
        payment_id=row.payment_id,
        note=row.note,
    )
