"""The subscriptions repository: one subscription per row of `subscriptions`."""

from __future__ import annotations

import json
from typing import Any

from sqlalchemy import insert, select, update
from sqlalchemy.ext.asyncio import AsyncConnection

from contracts.errors import not_found
from contracts.subscriptions import BillingDetails
from contracts.values import BillingCycle, Contact, LicenceType, Money
from servicekit.http.pagination import PageRequest, keyset
from subscriptions.domain import Status, Subscription
from subscriptions.store.tables import subscriptions

_PLAIN = (
    "id",
    "account_id",
    "product",
    "tier",
    "quantity",
    "ordered_at",
    "activated_at",
    "term_start",
    "term_end",
    "fixed_term_end",
    "cancellation_reason",
    "cancels_at",
    "ended_at",
    "ended_reason",
    "grace_ends_at",
    "trial_ends_at",
    "started_as_trial",
    "po_number",
    "payment_method",
    "next_payment_method",
    "project_id",
    "terms_of_sale_accepted_at",
    "terms_of_sale_version",
)


def _row(s: Subscription) -> dict[str, Any]:
    return dict(
        {name: getattr(s, name) for name in _PLAIN},
        admin_person_id=s.administrator.person_id,
        admin_email=s.administrator.email,
        admin_name=s.administrator.name,
        admin_locale=s.administrator.locale,
        licence_type=s.licence_type.value,
        billing_cycle=s.billing_cycle.value,
        unit_price_minor=s.unit_price.amount_minor,
        currency=s.unit_price.currency,
        status=s.status.value,
        addons=json.dumps(s.addons),
        scheduled_cycle=s.scheduled_cycle.value if s.scheduled_cycle else None,
        billing=s.billing.model_dump_json() if s.billing else None,
    )


def _subscription(r: Any) -> Subscription:
    return Subscription(
        **{name: getattr(r, name) for name in _PLAIN},
        administrator=Contact(
            person_id=r.admin_person_id, email=r.admin_email, name=r.admin_name, locale=r.admin_locale
        ),
        licence_type=LicenceType(r.licence_type),
        billing_cycle=BillingCycle(r.billing_cycle),
        unit_price=Money(amount_minor=r.unit_price_minor, currency=r.currency),
        status=Status(r.status),
        addons=json.loads(r.addons),
        scheduled_cycle=BillingCycle(r.scheduled_cycle) if r.scheduled_cycle else None,
        billing=BillingDetails.model_validate_json(r.billing) if r.billing else None,
    )


class SubscriptionRepository:
    def __init__(self, conn: AsyncConnection) -> None:
        self._conn = conn

    async def find(self, subscription_id: str, lock: bool = False) -> Subscription | None:
        """`lock` when the caller will change it: the row stays locked until the transaction
        ends (PostgreSQL `FOR UPDATE`), so a concurrent command or event on the same
        subscription waits, then reads the result instead of overwriting it. It also orders
        the events they publish (see servicekit/messaging/outboxgaps.py). SQLite's BEGIN IMMEDIATE
        already serialises writers, and SQLAlchemy renders no FOR UPDATE there."""
        query = select(subscriptions).where(subscriptions.c.id == subscription_id)
        row = (await self._conn.execute(query.with_for_update() if lock else query)).first()
        return None if row is None else _subscription(row)

    async def get(self, subscription_id: str, lock: bool = False) -> Subscription:
        found = await self.find(subscription_id, lock)
        if found is None:
            raise not_found("subscription", subscription_id)
        return found

    async def add(self, subscription: Subscription) -> None:
        await self._conn.execute(insert(subscriptions).values(**_row(subscription)))

    async def save(self, subscription: Subscription) -> None:
        await self._conn.execute(
            update(subscriptions).where(subscriptions.c.id == subscription.id).values(**_row(subscription))
        )

    async def administered_by(self, person_id: str, account_id: str, page: PageRequest) -> list[Subscription]:
        """R6: one page of what the person administers for the account they act for, oldest
        order first (then by id: the keyset needs a unique last column)."""
        query = select(subscriptions).where(
            subscriptions.c.admin_person_id == person_id, subscriptions.c.account_id == account_id
        )
        rows = await self._conn.execute(keyset(query, (subscriptions.c.ordered_at, subscriptions.c.id), page))
        return [_subscription(r) for r in rows]

    async def project_busy(self, project_id: str | None) -> bool:
        """R19: an order of this project awaits approval."""
        if not project_id:
            return False
        row = (
            await self._conn.execute(
                select(subscriptions.c.id)
                .where(
                    subscriptions.c.project_id == project_id, subscriptions.c.status == Status.AWAITING_APPROVAL.value
                )
                .limit(1)
            )
        ).first()
        return row is not None

    async def had_trial(self, account_id: str, product: str) -> bool:
        """R10: one trial per account and product, whatever became of it."""
        row = (
            await self._conn.execute(
                select(subscriptions.c.id)
                .where(
                    subscriptions.c.account_id == account_id,
                    subscriptions.c.product == product,
                    subscriptions.c.started_as_trial.is_(True),
                )
                .limit(1)
            )
        ).first()
        return row is not None
