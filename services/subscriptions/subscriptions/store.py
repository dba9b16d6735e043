"""The subscriptions table and the repository that maps it to `domain.Subscription`."""
from __future__ import annotations

from sqlalchemy import Column, Integer, MetaData, String, Table, insert, select, update
from sqlalchemy.ext.asyncio import AsyncConnection

from contracts.errors import not_found
from contracts.values import BillingCycle, Contact, LicenceType, Money
from servicekit.db import UTCDateTime
from subscriptions.domain import Status, Subscription

metadata = MetaData()

subscriptions = Table(
    "subscriptions", metadata,
    Column("id", String(64), primary_key=True),
    Column("account_id", String(64), nullable=False, index=True),
    Column("admin_person_id", String(64), nullable=False, index=True),
    Column("admin_email", String(320), nullable=False),
    Column("admin_name", String(200), nullable=False),
    Column("admin_locale", String(8), nullable=False),
    Column("product", String(64), nullable=False),
    Column("tier", String(64), nullable=False),
    Column("licence_type", String(32), nullable=False),
    Column("billing_cycle", String(32), nullable=False),
    Column("quantity", Integer, nullable=False),
    Column("unit_price_minor", Integer, nullable=False),
    Column("currency", String(3), nullable=False),
    Column("ordered_at", UTCDateTime, nullable=False),
    Column("status", String(32), nullable=False),
    Column("activated_at", UTCDateTime),
    Column("term_start", UTCDateTime),
    Column("term_end", UTCDateTime),
    Column("cancellation_reason", String(2000)),
    Column("cancels_at", UTCDateTime),
    Column("ended_at", UTCDateTime),
)


def _row(s: Subscription) -> dict:
    return dict(
        id=s.id, account_id=s.account_id, admin_person_id=s.administrator.person_id,
        admin_email=s.administrator.email, admin_name=s.administrator.name,
        admin_locale=s.administrator.locale, product=s.product, tier=s.tier,
        licence_type=s.licence_type.value, billing_cycle=s.billing_cycle.value,
        quantity=s.quantity, unit_price_minor=s.unit_price.amount_minor,
        currency=s.unit_price.currency, ordered_at=s.ordered_at, status=s.status.value,
        activated_at=s.activated_at, term_start=s.term_start, term_end=s.term_end,
        cancellation_reason=s.cancellation_reason, cancels_at=s.cancels_at, ended_at=s.ended_at)


def _subscription(r) -> Subscription:
    return Subscription(
        id=r.id, account_id=r.account_id,
        administrator=Contact(person_id=r.admin_person_id, email=r.admin_email,
                              name=r.admin_name, locale=r.admin_locale),
        product=r.product, tier=r.tier, licence_type=LicenceType(r.licence_type),
        billing_cycle=BillingCycle(r.billing_cycle), quantity=r.quantity,
        unit_price=Money(amount_minor=r.unit_price_minor, currency=r.currency),
        ordered_at=r.ordered_at, status=Status(r.status), activated_at=r.activated_at,
        term_start=r.term_start, term_end=r.term_end, cancellation_reason=r.cancellation_reason,
        cancels_at=r.cancels_at, ended_at=r.ended_at)


class SubscriptionRepository:
    def __init__(self, conn: AsyncConnection) -> None:
        self._conn = conn

    async def find(self, subscription_id: str) -> Subscription | None:
        row = (await self._conn.execute(
            select(subscriptions).where(subscriptions.c.id == subscription_id))).first()
        return None if row is None else _subscription(row)

    async def get(self, subscription_id: str) -> Subscription:
        found = await self.find(subscription_id)
        if found is None:
            raise not_found("subscription", subscription_id)
        return found

    async def add(self, subscription: Subscription) -> None:
        await self._conn.execute(insert(subscriptions).values(**_row(subscription)))

    async def save(self, subscription: Subscription) -> None:
        await self._conn.execute(update(subscriptions)
                                 .where(subscriptions.c.id == subscription.id)
                                 .values(**_row(subscription)))

    async def administered_by(self, person_id: str) -> list[Subscription]:
        rows = await self._conn.execute(select(subscriptions).where(
            subscriptions.c.admin_person_id == person_id).order_by(subscriptions.c.ordered_at))
        return [_subscription(r) for r in rows]
