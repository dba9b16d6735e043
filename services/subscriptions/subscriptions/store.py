"""The subscriptions and amendments tables, and the repositories that map them to the domain."""
from __future__ import annotations

import json

from sqlalchemy import (
    Boolean, Column, Integer, MetaData, String, Table, Text, delete, insert, select, update,
)
from sqlalchemy.ext.asyncio import AsyncConnection

from contracts.errors import not_found
from contracts.values import BillingCycle, Contact, LicenceType, Money
from servicekit.store.types import UTCDateTime
from servicekit.http.pagination import PageRequest, keyset
from subscriptions.domain import Status, Subscription
from subscriptions.domain.amendments import Amendment, AmendmentStatus
from subscriptions.domain.contacts import CompanyContact

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
    Column("fixed_term_end", UTCDateTime),
    Column("cancellation_reason", String(2000)),
    Column("cancels_at", UTCDateTime),
    Column("ended_at", UTCDateTime),
    Column("ended_reason", String(32)),
    Column("grace_ends_at", UTCDateTime),
    Column("trial_ends_at", UTCDateTime),
    Column("started_as_trial", Boolean, nullable=False, default=False),
    Column("po_number", String(100)),
    Column("payment_method", String(200)),
    Column("next_payment_method", String(200)),
    Column("scheduled_cycle", String(32)),
    Column("project_id", String(100), index=True),
    Column("addons", Text, nullable=False, default="[]"),
)

amendments = Table(
    "amendments", metadata,
    Column("id", String(64), primary_key=True),
    Column("subscription_id", String(64), nullable=False, index=True),
    Column("from_tier", String(64), nullable=False),
    Column("to_tier", String(64), nullable=False),
    Column("new_unit_price_minor", Integer, nullable=False),
    Column("currency", String(3), nullable=False),
    Column("proposed_at", UTCDateTime, nullable=False),
    Column("status", String(16), nullable=False),
    Column("decided_at", UTCDateTime),
)

# The company directory: who may become an administrator (R17, R38), kept from identity's
# public events, never from what a request claims. Members are people identity linked to the
# account (its founder, a contact registered when added); invitees are e-mails added as
# contacts (linked later, when that address registers); people are registered persons.
company_members = Table(
    "company_members", metadata,
    Column("account_id", String(64), primary_key=True),
    Column("person_id", String(64), primary_key=True),
)

company_invitees = Table(
    "company_invitees", metadata,
    Column("account_id", String(64), primary_key=True),
    Column("email", String(320), primary_key=True),
)

known_people = Table(
    "known_people", metadata,
    Column("person_id", String(64), primary_key=True),
    Column("email", String(320), nullable=False, index=True),
    Column("name", String(200), nullable=False),
    Column("locale", String(8), nullable=False),
    Column("registered_at", UTCDateTime, nullable=False),
)

_PLAIN = ("id", "account_id", "product", "tier", "quantity", "ordered_at", "activated_at",
          "term_start", "term_end", "fixed_term_end", "cancellation_reason", "cancels_at",
          "ended_at", "ended_reason", "grace_ends_at", "trial_ends_at", "started_as_trial",
          "po_number", "payment_method", "next_payment_method", "project_id")


def _row(s: Subscription) -> dict:
    return dict(
        {name: getattr(s, name) for name in _PLAIN},
        admin_person_id=s.administrator.person_id, admin_email=s.administrator.email,
        admin_name=s.administrator.name, admin_locale=s.administrator.locale,
        licence_type=s.licence_type.value, billing_cycle=s.billing_cycle.value,
        unit_price_minor=s.unit_price.amount_minor, currency=s.unit_price.currency,
        status=s.status.value, addons=json.dumps(s.addons),
        scheduled_cycle=s.scheduled_cycle.value if s.scheduled_cycle else None)


def _subscription(r) -> Subscription:
    return Subscription(
        **{name: getattr(r, name) for name in _PLAIN},
        administrator=Contact(person_id=r.admin_person_id, email=r.admin_email,
                              name=r.admin_name, locale=r.admin_locale),
        licence_type=LicenceType(r.licence_type), billing_cycle=BillingCycle(r.billing_cycle),
        unit_price=Money(amount_minor=r.unit_price_minor, currency=r.currency),
        status=Status(r.status), addons=json.loads(r.addons),
        scheduled_cycle=BillingCycle(r.scheduled_cycle) if r.scheduled_cycle else None)


class SubscriptionRepository:
    def __init__(self, conn: AsyncConnection) -> None:
        self._conn = conn

    async def find(self, subscription_id: str, lock: bool = False) -> Subscription | None:
        """`lock` when the caller will change it: the row stays locked until the transaction
        ends (PostgreSQL `FOR UPDATE`), so a concurrent command or event on the same
        subscription waits, then reads the result instead of overwriting it. It also orders
        the events they publish (see servicekit/outboxgaps.py). SQLite's BEGIN IMMEDIATE
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
        await self._conn.execute(update(subscriptions)
                                 .where(subscriptions.c.id == subscription.id)
                                 .values(**_row(subscription)))

    async def administered_by(self, person_id: str, account_id: str, page: PageRequest) -> list[Subscription]:
        """R6: one page of what the person administers for the account they act for, oldest
        order first (then by id: the keyset needs a unique last column)."""
        query = select(subscriptions).where(subscriptions.c.admin_person_id == person_id,
                                            subscriptions.c.account_id == account_id)
        rows = await self._conn.execute(keyset(query, (subscriptions.c.ordered_at, subscriptions.c.id), page))
        return [_subscription(r) for r in rows]

    async def project_busy(self, project_id: str | None) -> bool:
        """R19: an order of this project awaits approval."""
        if not project_id:
            return False
        row = (await self._conn.execute(select(subscriptions.c.id).where(
            subscriptions.c.project_id == project_id,
            subscriptions.c.status == Status.AWAITING_APPROVAL.value).limit(1))).first()
        return row is not None

    async def had_trial(self, account_id: str, product: str) -> bool:
        """R10: one trial per account and product, whatever became of it."""
        row = (await self._conn.execute(select(subscriptions.c.id).where(
            subscriptions.c.account_id == account_id, subscriptions.c.product == product,
            subscriptions.c.started_as_trial.is_(True)).limit(1))).first()
        return row is not None


def _amendment_row(a: Amendment) -> dict:
    return dict(id=a.id, subscription_id=a.subscription_id, from_tier=a.from_tier, to_tier=a.to_tier,
                new_unit_price_minor=a.new_unit_price.amount_minor, currency=a.new_unit_price.currency,
                proposed_at=a.proposed_at, status=a.status.value, decided_at=a.decided_at)


def _amendment(r) -> Amendment:
    return Amendment(id=r.id, subscription_id=r.subscription_id, from_tier=r.from_tier,
                     to_tier=r.to_tier, proposed_at=r.proposed_at, decided_at=r.decided_at,
                     new_unit_price=Money(amount_minor=r.new_unit_price_minor, currency=r.currency),
                     status=AmendmentStatus(r.status))


class AmendmentRepository:
    def __init__(self, conn: AsyncConnection) -> None:
        self._conn = conn

    async def get(self, amendment_id: str) -> Amendment:
        row = (await self._conn.execute(select(amendments).where(amendments.c.id == amendment_id))).first()
        if row is None:
            raise not_found("amendment", amendment_id)
        return _amendment(row)

    async def open_for(self, subscription_id: str) -> Amendment | None:
        row = (await self._conn.execute(select(amendments).where(
            amendments.c.subscription_id == subscription_id,
            amendments.c.status == AmendmentStatus.OPEN.value))).first()
        return None if row is None else _amendment(row)

    async def add(self, amendment: Amendment) -> None:
        await self._conn.execute(insert(amendments).values(**_amendment_row(amendment)))

    async def save(self, amendment: Amendment) -> None:
        await self._conn.execute(update(amendments).where(amendments.c.id == amendment.id)
                                 .values(**_amendment_row(amendment)))


class CompanyDirectory:
    """Subscriptions' view of identity's accounts, contacts and people (see the tables above).
    Identity publishes account and contact events keyed by account and person events keyed by
    person, so they arrive in any order between the two: every write here is an idempotent
    upsert and a lookup joins whatever has arrived."""

    def __init__(self, conn: AsyncConnection) -> None:
        self._conn = conn

    async def add_member(self, account_id: str, person_id: str) -> None:
        if not await self._exists(company_members, account_id=account_id, person_id=person_id):
            await self._conn.execute(insert(company_members).values(account_id=account_id, person_id=person_id))

    async def add_invitee(self, account_id: str, email: str) -> None:
        if not await self._exists(company_invitees, account_id=account_id, email=email):
            await self._conn.execute(insert(company_invitees).values(account_id=account_id, email=email))

    async def remember_person(self, person: Contact, registered_at) -> None:
        """A registration, or a repeated one of an unverified address (same person id): the
        latest name and language win."""
        values = dict(email=person.email.lower(), name=person.name, locale=person.locale,
                      registered_at=registered_at)
        found = (await self._conn.execute(select(known_people.c.registered_at).where(
            known_people.c.person_id == person.person_id))).first()
        if found is None:
            await self._conn.execute(insert(known_people).values(person_id=person.person_id, **values))
        elif registered_at >= found.registered_at:
            await self._conn.execute(update(known_people).where(
                known_people.c.person_id == person.person_id).values(**values))

    async def forget_account(self, account_id: str) -> None:
        """A withdrawn account has no member and no contact that could become an administrator."""
        await self._conn.execute(delete(company_members).where(company_members.c.account_id == account_id))
        await self._conn.execute(delete(company_invitees).where(company_invitees.c.account_id == account_id))

    async def find(self, account_id: str, email: str) -> CompanyContact:
        """What is known of `email` in the company: whether it is a contact of it (added by
        e-mail, or a linked member such as its founder) and the person registered with it."""
        email = email.lower()
        row = (await self._conn.execute(select(known_people).where(known_people.c.email == email)
                                        .order_by(known_people.c.registered_at.desc()).limit(1))).first()
        person = (Contact(person_id=row.person_id, email=row.email, name=row.name, locale=row.locale)
                  if row is not None else None)
        is_contact = await self._exists(company_invitees, account_id=account_id, email=email) or (
            person is not None and await self._exists(company_members, account_id=account_id,
                                                      person_id=person.person_id))
        return CompanyContact(email=email, is_contact=is_contact, person=person)

    async def _exists(self, table: Table, **key: str) -> bool:
        query = select(*table.primary_key.columns).where(*(table.c[name] == value for name, value in key.items()))
        return (await self._conn.execute(query.limit(1))).first() is not None
