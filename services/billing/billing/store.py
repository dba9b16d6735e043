"""Billing's view of each subscription and its invoice lines (SQLAlchemy Core)."""
from __future__ import annotations

from dataclasses import fields

from sqlalchemy import and_, func, insert, select, update
from sqlalchemy.ext.asyncio import AsyncConnection

from billing.charges import InvoiceLine, LineKind
from billing.domain import SubscriptionView
from billing.tables import invoice_lines, parked_events, subscriptions
from contracts.envelope import Event
from contracts.registry import model_for
from contracts.values import BillingCycle, Contact, Money
from servicekit.http.pagination import PageRequest, keyset

class LinesAlreadyInvoiced(RuntimeError):
    """A concurrent issuer took a line first: retry the work that issues."""


_PLAIN_FIELDS = [f.name for f in fields(SubscriptionView)
                 if f.name not in ("administrator", "billing_cycle", "unit_price")]


class BillingRepository:
    def __init__(self, conn: AsyncConnection) -> None:
        self._conn = conn

    # -- subscription views ----------------------------------------------------------------
    async def view(self, subscription_id: str, lock: bool = False) -> SubscriptionView | None:
        """`lock` when an event will change it: the row stays locked until the transaction ends
        (PostgreSQL `FOR UPDATE`). Two topics feed one view, and replicas may own their
        partitions apart, so two events of one subscription can be applied at once; the
        second waits and reads what the first wrote. SQLite serialises writers anyway."""
        query = select(subscriptions).where(subscriptions.c.subscription_id == subscription_id)
        row = (await self._conn.execute(query.with_for_update() if lock else query)).first()
        return None if row is None else _view_of(row)

    async def views(self, subscription_ids: set[str]) -> dict[str, SubscriptionView]:
        rows = await self._conn.execute(select(subscriptions).where(
            subscriptions.c.subscription_id.in_(sorted(subscription_ids))))
        return {row.subscription_id: _view_of(row) for row in rows}

    async def save_view(self, view: SubscriptionView, *, is_new: bool) -> None:
        values = _row_of(view)
        if is_new:
            await self._conn.execute(insert(subscriptions).values(**values))
        else:
            await self._conn.execute(update(subscriptions).where(
                subscriptions.c.subscription_id == view.subscription_id).values(**values))

    async def administers(self, person_id: str, account_id: str, subscription_id: str) -> bool:
        """R6, R17: only the administrator in force, acting for the owning account."""
        view = await self.view(subscription_id)
        return (view is not None and view.account_id == account_id and view.administrator is not None
                and view.administrator.person_id == person_id)

    async def administers_in(self, person_id: str, account_id: str) -> bool:
        """R6: a person sees an account's invoices when they administer one of its subscriptions."""
        row = (await self._conn.execute(select(subscriptions.c.subscription_id).where(
            subscriptions.c.account_id == account_id,
            subscriptions.c.admin_person_id == person_id).limit(1))).first()
        return row is not None

    # -- seat events waiting for their subscription to start ------------------------------
    async def park(self, event: Event, caused_by: str, at) -> None:
        """Kept until the subscription starts; the same event parked again is kept once."""
        found = (await self._conn.execute(select(parked_events.c.seq).where(
            parked_events.c.caused_by == caused_by))).first()
        if found is None:
            await self._conn.execute(insert(parked_events).values(
                subscription_id=event.subscription_id, event_type=event.type,
                payload=event.model_dump_json(), caused_by=caused_by, parked_at=at))

    async def unpark(self, subscription_id: str) -> list[tuple[Event, str]]:
        """The parked events of a subscription, in the order they arrived, with their causes;
        removed here, so the caller applies (or refuses) each once."""
        rows = (await self._conn.execute(select(parked_events).where(
            parked_events.c.subscription_id == subscription_id).order_by(parked_events.c.seq))).all()
        if rows:
            await self._conn.execute(parked_events.delete().where(
                parked_events.c.seq.in_([row.seq for row in rows])))
        return [(model_for(row.event_type).model_validate_json(row.payload), row.caused_by) for row in rows]

    # -- lines -----------------------------------------------------------------------------
    async def add_line(self, line: InvoiceLine) -> bool:
        """False when this cause already made this kind of line (a replay adds nothing)."""
        found = (await self._conn.execute(select(invoice_lines.c.line_id).where(
            invoice_lines.c.caused_by == line.caused_by, invoice_lines.c.kind == line.kind.value))).first()
        if found is not None:
            return False
        await self._conn.execute(insert(invoice_lines).values(**_line_row(line)))
        return True

    async def lines_of(self, subscription_id: str, *, prorated_only: bool = False) -> list[InvoiceLine]:
        return await self._lines(self._lines_query(subscription_id, prorated_only))

    async def page_of_lines(self, subscription_id: str, page: PageRequest, *,
                            prorated_only: bool = False) -> list[InvoiceLine]:
        """One page, in the order of `lines_of` (period start, then line id)."""
        query = keyset(self._lines_query(subscription_id, prorated_only),
                       (invoice_lines.c.period_start, invoice_lines.c.line_id), page)
        return [_line_of(row) for row in await self._conn.execute(query)]

    async def total_of_lines(self, subscription_id: str, *, prorated_only: bool = False) -> Money | None:
        """The sum of every line (not of one page); None when there is none."""
        query = self._lines_query(subscription_id, prorated_only).with_only_columns(
            func.sum(invoice_lines.c.amount_minor), func.min(invoice_lines.c.currency),
            func.count()).group_by(None)
        total, currency, count = (await self._conn.execute(query)).one()
        return Money(amount_minor=total, currency=currency) if count else None

    @staticmethod
    def _lines_query(subscription_id: str, prorated_only: bool):
        query = select(invoice_lines).where(invoice_lines.c.subscription_id == subscription_id)
        if prorated_only:
            query = query.where(invoice_lines.c.kind != LineKind.TERM.value)
        return query

    async def pending_lines_of(self, subscription_id: str) -> list[InvoiceLine]:
        return await self._lines(select(invoice_lines).where(
            invoice_lines.c.subscription_id == subscription_id, invoice_lines.c.invoice_id.is_(None)))

    async def pending_lines_before(self, at) -> list[InvoiceLine]:
        return await self._lines(select(invoice_lines).where(
            invoice_lines.c.invoice_id.is_(None), invoice_lines.c.period_start < at))

    async def lines_on_invoice(self, invoice_id: str) -> list[InvoiceLine]:
        return await self._lines(select(invoice_lines).where(invoice_lines.c.invoice_id == invoice_id))

    async def mark_invoiced(self, lines: list[InvoiceLine], invoice_id: str) -> None:
        """Every line must still be pending: the monthly run and an event issuing at once can
        read the same pending line concurrently (PostgreSQL). The second to mark it finds it
        taken and fails, so its transaction rolls back and its retry sees the line invoiced."""
        marked = await self._conn.execute(update(invoice_lines).where(and_(
            invoice_lines.c.line_id.in_([l.line_id for l in lines]),
            invoice_lines.c.invoice_id.is_(None))).values(invoice_id=invoice_id))
        if marked.rowcount != len(lines):
            raise LinesAlreadyInvoiced(f"{len(lines) - marked.rowcount} of {len(lines)} lines of invoice "
                                       f"{invoice_id} were invoiced meanwhile; issuing again")

    async def _lines(self, query) -> list[InvoiceLine]:
        rows = await self._conn.execute(query.order_by(invoice_lines.c.period_start, invoice_lines.c.line_id))
        return [_line_of(row) for row in rows]


def _row_of(view: SubscriptionView) -> dict:
    admin = view.administrator
    return {**{name: getattr(view, name) for name in _PLAIN_FIELDS},
            "admin_person_id": admin.person_id if admin else None,
            "admin_email": admin.email if admin else None,
            "admin_name": admin.name if admin else None,
            "admin_locale": admin.locale if admin else None,
            "billing_cycle": view.billing_cycle.value if view.billing_cycle else None,
            "unit_price_minor": view.unit_price.amount_minor if view.unit_price else None,
            "currency": view.unit_price.currency if view.unit_price else None}


def _view_of(row) -> SubscriptionView:
    admin = (Contact(person_id=row.admin_person_id, email=row.admin_email, name=row.admin_name or "",
                     locale=row.admin_locale or "en") if row.admin_person_id else None)
    price = (Money(amount_minor=row.unit_price_minor, currency=row.currency)
             if row.unit_price_minor is not None else None)
    return SubscriptionView(**{name: getattr(row, name) for name in _PLAIN_FIELDS}, administrator=admin,
                            billing_cycle=BillingCycle(row.billing_cycle) if row.billing_cycle else None,
                            unit_price=price)


def _line_row(line: InvoiceLine) -> dict:
    return dict(
        line_id=line.line_id, subscription_id=line.subscription_id, account_id=line.account_id,
        kind=line.kind.value, description=line.description, period_start=line.period_start,
        period_end=line.period_end, quantity_delta=line.quantity_delta,
        unit_price_minor=line.unit_price.amount_minor, days_remaining=line.days_remaining,
        days_in_term=line.days_in_term, amount_minor=line.amount.amount_minor,
        currency=line.amount.currency, caused_by=line.caused_by,
        billing_cycle=line.cycle.value if line.cycle else None, invoice_id=line.invoice_id)


def _line_of(row) -> InvoiceLine:
    return InvoiceLine(
        line_id=row.line_id, subscription_id=row.subscription_id, account_id=row.account_id,
        kind=LineKind(row.kind), description=row.description, period_start=row.period_start,
        period_end=row.period_end, quantity_delta=row.quantity_delta,
        unit_price=Money(amount_minor=row.unit_price_minor, currency=row.currency),
        days_remaining=row.days_remaining, days_in_term=row.days_in_term,
        amount=Money(amount_minor=row.amount_minor, currency=row.currency), caused_by=row.caused_by,
        cycle=BillingCycle(row.billing_cycle) if row.billing_cycle else None, invoice_id=row.invoice_id)
