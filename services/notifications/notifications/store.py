"""Outgoing e-mails: rendered once, sent once, and the delivery log people can query."""
from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import (
    Column, Integer, MetaData, String, Table, Text, and_, case, insert, or_, select, update,
)
from sqlalchemy.ext.asyncio import AsyncConnection
from sqlalchemy.sql.elements import ColumnElement

from notifications.access import AdministratorNamed, Reader
from notifications.consistency import KnownSubscription
from notifications.domain import WAITED_ON
from servicekit.store.types import UTCDateTime
from servicekit.http.pagination import PageRequest, keyset

metadata = MetaData()

emails = Table(
    "emails", metadata,
    Column("email_id", String(64), primary_key=True),
    Column("caused_by", String(64), nullable=False, index=True),
    Column("template", String(64), nullable=False),
    Column("locale", String(8), nullable=False),
    Column("recipient_id", String(64), nullable=False, index=True),
    Column("recipient_email", String(320), nullable=False),
    Column("subscription_id", String(64), nullable=False, index=True),  # or the account, or the person
    Column("account_id", String(64), nullable=False),  # "" for a person's own (verification) e-mail
    Column("correlation_id", String(64), nullable=False),
    Column("subject", String(500), nullable=False),
    Column("text", Text, nullable=False),
    Column("html", Text, nullable=False),
    Column("status", String(16), nullable=False, index=True),  # pending, sent, rejected
    Column("attempts", Integer, nullable=False, default=0),
    Column("last_error", String(2000)),
    # Real time, not the stack's (test) time: SMTP outages and their retries happen in real time.
    Column("next_attempt_at", UTCDateTime),
    Column("created_at", UTCDateTime, nullable=False),
    Column("sent_at", UTCDateTime),
    Column("rejected_at", UTCDateTime),
)

# The administrator of each subscription or account, as the latest event naming one said.
administrators = Table(
    "administrators", metadata,
    Column("subject_id", String(64), primary_key=True),
    Column("account_id", String(64), nullable=False),
    Column("person_id", String(64), nullable=False),
    Column("as_of", UTCDateTime, nullable=False),
)

# Everyone who administered each subscription (or account), with the address events gave:
# seats and billing may name a previous administrator, not yet told of a transfer; an event
# naming someone who never administered it is inconsistent (notifications.consistency).
administrator_history = Table(
    "administrator_history", metadata,
    Column("subject_id", String(64), primary_key=True),
    Column("person_id", String(64), primary_key=True),
    Column("email", String(320)),  # lower-cased; None for those recorded before addresses were kept
    Column("since", UTCDateTime, nullable=False),
)


@dataclass(frozen=True)
class OutgoingEmail:
    email_id: str
    caused_by: str
    template: str
    locale: str
    recipient_id: str
    recipient_email: str
    subscription_id: str
    correlation_id: str
    subject: str
    text: str
    html: str
    account_id: str = ""
    status: str = "pending"
    attempts: int = 0
    last_error: str | None = None
    next_attempt_at: datetime | None = None
    sent_at: datetime | None = None
    rejected_at: datetime | None = None
    created_at: datetime | None = None  # set when queued


class EmailRepository:
    def __init__(self, conn: AsyncConnection) -> None:
        self._conn = conn

    async def add_once(self, email: OutgoingEmail, at: datetime) -> bool:
        """False when this e-mail (same event, template, recipient) was already queued."""
        exists = (await self._conn.execute(select(emails.c.email_id).where(
            emails.c.email_id == email.email_id))).first()
        if exists:
            return False
        await self._conn.execute(insert(emails).values({**vars(email), "created_at": at}))
        return True

    async def due(self, now: datetime, limit: int) -> list[OutgoingEmail]:
        """Pending e-mails whose next attempt has come: those someone waits on first, then
        oldest first. One waiting out its backoff does not hold back those queued after it."""
        waited_on_first = case((emails.c.template.in_(sorted(WAITED_ON)), 0), else_=1)
        rows = await self._conn.execute(
            select(emails).where(emails.c.status == "pending",
                                 or_(emails.c.next_attempt_at.is_(None), emails.c.next_attempt_at <= now))
            .order_by(waited_on_first, emails.c.created_at, emails.c.email_id).limit(limit))
        return [_email(r) for r in rows]

    async def claim(self, email: OutgoingEmail, now: datetime, until: datetime) -> bool:
        """Take a due e-mail for this sender until `until`; False when another sender took it,
        or sent it, since it was read (replicas share the queue on PostgreSQL)."""
        taken = await self._conn.execute(update(emails).where(
            emails.c.email_id == email.email_id, emails.c.status == "pending", emails.c.attempts == email.attempts,
            or_(emails.c.next_attempt_at.is_(None), emails.c.next_attempt_at <= now)).values(next_attempt_at=until))
        return taken.rowcount == 1

    async def mark_sent(self, email_id: str, at: datetime, forget_body: bool = False) -> None:
        body = {"text": "", "html": ""} if forget_body else {}
        await self._conn.execute(update(emails).where(emails.c.email_id == email_id).values(
            status="sent", sent_at=at, next_attempt_at=None, attempts=emails.c.attempts + 1, **body))

    async def mark_rejected(self, email_id: str, at: datetime, error: str, forget_body: bool = False) -> None:
        body = {"text": "", "html": ""} if forget_body else {}
        await self._conn.execute(update(emails).where(emails.c.email_id == email_id).values(
            status="rejected", rejected_at=at, next_attempt_at=None, last_error=error[:2000],
            attempts=emails.c.attempts + 1, **body))

    async def defer(self, email_id: str, error: str, next_attempt_at: datetime) -> None:
        await self._conn.execute(update(emails).where(emails.c.email_id == email_id).values(
            last_error=error[:2000], attempts=emails.c.attempts + 1, next_attempt_at=next_attempt_at))

    async def retry_now(self) -> int:
        """After an outage is fixed: every pending e-mail is due again at once; returns how many."""
        result = await self._conn.execute(update(emails).where(
            emails.c.status == "pending", emails.c.next_attempt_at.is_not(None)).values(next_attempt_at=None))
        return result.rowcount

    async def get(self, email_id: str) -> OutgoingEmail | None:
        row = (await self._conn.execute(select(emails).where(emails.c.email_id == email_id))).first()
        return _email(row) if row else None

    async def log(self, caused_by: str | None = None, recipient_id: str | None = None) -> list[OutgoingEmail]:
        query = select(emails).order_by(emails.c.created_at, emails.c.email_id)
        if caused_by:
            query = query.where(emails.c.caused_by == caused_by)
        if recipient_id:
            query = query.where(emails.c.recipient_id == recipient_id)
        return [_email(r) for r in await self._conn.execute(query)]

    async def page_for(self, reader: Reader, page: PageRequest, caused_by: str | None = None,
                       recipient_id: str | None = None) -> list[OutgoingEmail]:
        """One page of the log (and one more row, if any), oldest first: only what `reader`
        may read (access.may_read), filtered in the query so that every page is full."""
        query = select(emails).where(readable_by(reader))
        if caused_by:
            query = query.where(emails.c.caused_by == caused_by)
        if recipient_id:
            query = query.where(emails.c.recipient_id == recipient_id)
        rows = await self._conn.execute(keyset(query, [emails.c.created_at, emails.c.email_id], page))
        return [_email(r) for r in rows]


def readable_by(reader: Reader) -> ColumnElement[bool]:
    """access.may_read as a condition on `emails`: sent to the reader, or about the account
    they act for and about a subject or account they administer now."""
    administered = select(administrators.c.subject_id).where(administrators.c.person_id == reader.person_id)
    return or_(
        emails.c.recipient_id == reader.person_id,
        and_(emails.c.account_id != "", emails.c.account_id == reader.account_id,
             or_(emails.c.subscription_id.in_(administered), emails.c.account_id.in_(administered))))


class AdministratorRepository:
    def __init__(self, conn: AsyncConnection) -> None:
        self._conn = conn

    async def note(self, named: AdministratorNamed) -> None:
        """Keeps the latest by event time: an older event replayed late changes nothing. The
        row is locked while compared (PostgreSQL `FOR UPDATE`): events of two topics naming
        one subject's administrator may be applied at once by two replicas."""
        found = (await self._conn.execute(select(administrators.c.as_of).where(
            administrators.c.subject_id == named.subject_id).with_for_update())).first()
        values = dict(account_id=named.account_id, person_id=named.person_id, as_of=named.at)
        if found is None:
            await self._conn.execute(insert(administrators).values(subject_id=named.subject_id, **values))
        elif found.as_of <= named.at:
            await self._conn.execute(update(administrators).where(
                administrators.c.subject_id == named.subject_id).values(**values))
        await self._remember(named)

    async def _remember(self, named: AdministratorNamed) -> None:
        """Adds them to the subject's history; an address learnt later fills one not known."""
        past = (await self._conn.execute(select(administrator_history.c.email).where(
            administrator_history.c.subject_id == named.subject_id,
            administrator_history.c.person_id == named.person_id))).first()
        if past is None:
            await self._conn.execute(insert(administrator_history).values(
                subject_id=named.subject_id, person_id=named.person_id, email=named.email, since=named.at))
        elif past.email is None and named.email:
            await self._conn.execute(update(administrator_history).where(
                administrator_history.c.subject_id == named.subject_id,
                administrator_history.c.person_id == named.person_id).values(email=named.email))

    async def known_subscriptions(self, subscription_ids: set[str]) -> dict[str, KnownSubscription]:
        """What earlier events said of these subscriptions, for those notifications knows."""
        if not subscription_ids:
            return {}
        ids = sorted(subscription_ids)
        current = {r.subject_id: r for r in await self._conn.execute(
            select(administrators).where(administrators.c.subject_id.in_(ids)))}
        history: dict[str, dict[str, str | None]] = {}
        for r in await self._conn.execute(select(administrator_history).where(
                administrator_history.c.subject_id.in_(sorted(current)))):
            history.setdefault(r.subject_id, {})[r.person_id] = r.email
        return {sid: KnownSubscription(sid, r.account_id, r.person_id, history.get(sid, {}))
                for sid, r in current.items()}


def _email(r) -> OutgoingEmail:
    return OutgoingEmail(**{k: getattr(r, k) for k in OutgoingEmail.__dataclass_fields__})
