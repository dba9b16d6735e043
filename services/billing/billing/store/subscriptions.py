"""Billing's view of each subscription, and the seat events waiting for it to start
(SQLAlchemy Core)."""

from __future__ import annotations

from dataclasses import fields
from datetime import datetime
from typing import Any

from sqlalchemy import insert, select, update
from sqlalchemy.ext.asyncio import AsyncConnection

from billing.domain.subscriptions import BilledEvent, SeatEvent, SubscriptionView
from billing.store.tables import parked_events, subscriptions
from contracts.seats import SeatDecreaseScheduled, SeatQuantityChanged
from contracts.values import BillingCycle, Contact, Money

# Only seat events wait for their subscription (`handlers.consistency`).
_PARKED: dict[str, type[SeatQuantityChanged] | type[SeatDecreaseScheduled]] = {
    model.type: model for model in (SeatQuantityChanged, SeatDecreaseScheduled)
}
_PLAIN_FIELDS = [
    f.name for f in fields(SubscriptionView) if f.name not in ("administrator", "billing_cycle", "unit_price")
]


class SubscriptionRepository:
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
        rows = await self._conn.execute(
            select(subscriptions).where(subscriptions.c.subscription_id.in_(sorted(subscription_ids)))
        )
        return {row.subscription_id: _view_of(row) for row in rows}

    async def save_view(self, view: SubscriptionView, *, is_new: bool) -> None:
        values = _row_of(view)
        if is_new:
            await self._conn.execute(insert(subscriptions).values(**values))
        else:
            await self._conn.execute(
                update(subscriptions).where(subscriptions.c.subscription_id == view.subscription_id).values(**values)
            )

    async def administers(self, person_id: str, account_id: str, subscription_id: str) -> bool:
        """R6, R17: only the administrator in force, acting for the owning account."""
        view = await self.view(subscription_id)
        return (
            view is not None
            and view.account_id == account_id
            and view.administrator is not None
            and view.administrator.person_id == person_id
        )

    async def administers_in(self, person_id: str, account_id: str) -> bool:
        """R6: a person sees an account's invoices when they administer one of its subscriptions."""
        row = (
            await self._conn.execute(
                select(subscriptions.c.subscription_id)
                .where(subscriptions.c.account_id == account_id, subscriptions.c.admin_person_id == person_id)
                .limit(1)
            )
        ).first()
        return row is not None

    # -- seat events waiting for their subscription to start ------------------------------
    async def park(self, event: BilledEvent, caused_by: str, at: datetime) -> None:
        """Kept until the subscription starts; the same event parked again is kept once."""
        found = (
            await self._conn.execute(select(parked_events.c.seq).where(parked_events.c.caused_by == caused_by))
        ).first()
        if found is None:
            await self._conn.execute(
                insert(parked_events).values(
                    subscription_id=event.subscription_id,
                    event_type=event.type,
                    payload=event.model_dump_json(),
                    caused_by=caused_by,
                    parked_at=at,
                )
            )

    async def unpark(self, subscription_id: str) -> list[tuple[SeatEvent, str]]:
        """The parked events of a subscription, in the order they arrived, with their causes;
        removed here, so the caller applies (or refuses) each once."""
        rows = (
            await self._conn.execute(
                select(parked_events)
                .where(parked_events.c.subscription_id == subscription_id)
                .order_by(parked_events.c.seq)
            )
        ).all()
        if rows:
            await self._conn.execute(parked_events.delete().where(parked_events.c.seq.in_([row.seq for row in rows])))
        return [(_PARKED[row.event_type].model_validate_json(row.payload), row.caused_by) for row in rows]


def _row_of(view: SubscriptionView) -> dict[str, Any]:
    admin = view.administrator
    return {
        **{name: getattr(view, name) for name in _PLAIN_FIELDS},
        "admin_person_id": admin.person_id if admin else None,
        "admin_email": admin.email if admin else None,
        "admin_name": admin.name if admin else None,
        "admin_locale": admin.locale if admin else None,
        "billing_cycle": view.billing_cycle.value if view.billing_cycle else None,
        "unit_price_minor": view.unit_price.amount_minor if view.unit_price else None,
        "currency": view.unit_price.currency if view.unit_price else None,
    }


def _view_of(row: Any) -> SubscriptionView:
    admin = (
        Contact(
            person_id=row.admin_person_id,
            email=row.admin_email,
            name=row.admin_name or "",
            locale=row.admin_locale or "en",
        )
        if row.admin_person_id
        else None
    )
    price = (
        Money(amount_minor=row.unit_price_minor, currency=row.currency) if row.unit_price_minor is not None else None
    )
    return SubscriptionView(
        **{name: getattr(row, name) for name in _PLAIN_FIELDS},
        administrator=admin,
        billing_cycle=BillingCycle(row.billing_cycle) if row.billing_cycle else None,
        unit_price=price,
    )
