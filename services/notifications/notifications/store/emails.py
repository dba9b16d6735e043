"""Outgoing e-mails: rendered once, sent once, and the delivery log people can query."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import and_, case, insert, or_, select, update
from sqlalchemy.ext.asyncio import AsyncConnection
from sqlalchemy.sql.elements import ColumnElement

from notifications.domain.access import Reader
from notifications.domain.emails import OutgoingEmail
from notifications.domain.sending import WAITED_ON
from notifications.store.tables import administrators, emails
from servicekit.http.pagination import PageRequest, keyset


class EmailRepository:
    def __init__(self, conn: AsyncConnection) -> None:
        self._conn = conn

    async def add_once(self, email: OutgoingEmail, at: datetime) -> bool:
        """False when this e-mail (same event, template, recipient) was already queued."""
        exists = (
            await self._conn.execute(select(emails.c.email_id).where(emails.c.email_id == email.email_id))
        ).first()
        if exists:
            return False
        await self._conn.execute(insert(emails).values({**vars(email), "created_at": at}))
        return True

    async def due(self, now: datetime, limit: int) -> list[OutgoingEmail]:
        """Pending e-mails whose next attempt has come: those someone waits on first, then
        oldest first. One waiting out its backoff does not hold back those queued after it."""
        waited_on_first = case((emails.c.template.in_(sorted(WAITED_ON)), 0), else_=1)
        rows = await self._conn.execute(
            select(emails)
            .where(
                emails.c.status == "pending", or_(emails.c.next_attempt_at.is_(None), emails.c.next_attempt_at <= now)
            )
            .order_by(waited_on_first, emails.c.created_at, emails.c.email_id)
            .limit(limit)
        )
        return [_email(r) for r in rows]

    async def claim(self, email: OutgoingEmail, now: datetime, until: datetime) -> bool:
        """Take a due e-mail for this sender until `until`; False when another sender took it,
        or sent it, since it was read (replicas share the queue on PostgreSQL)."""
        taken = await self._conn.execute(
            update(emails)
            .where(
                emails.c.email_id == email.email_id,
                emails.c.status == "pending",
                emails.c.attempts == email.attempts,
                or_(emails.c.next_attempt_at.is_(None), emails.c.next_attempt_at <= now),
            )
            .values(next_attempt_at=until)
        )
        return taken.rowcount == 1

    async def mark_sent(self, email_id: str, at: datetime, forget_body: bool = False) -> None:
        body = {"text": "", "html": ""} if forget_body else {}
        await self._conn.execute(
            update(emails)
            .where(emails.c.email_id == email_id)
            .values(status="sent", sent_at=at, next_attempt_at=None, attempts=emails.c.attempts + 1, **body)
        )

    async def mark_rejected(self, email_id: str, at: datetime, error: str, forget_body: bool = False) -> None:
        body = {"text": "", "html": ""} if forget_body else {}
        await self._conn.execute(
            update(emails)
            .where(emails.c.email_id == email_id)
            .values(
                status="rejected",
                rejected_at=at,
                next_attempt_at=None,
                last_error=error[:2000],
                attempts=emails.c.attempts + 1,
                **body,
            )
        )

    async def defer(self, email_id: str, error: str, next_attempt_at: datetime) -> None:
        await self._conn.execute(
            update(emails)
            .where(emails.c.email_id == email_id)
            .values(last_error=error[:2000], attempts=emails.c.attempts + 1, next_attempt_at=next_attempt_at)
        )

    async def of_document(self, document_id: str) -> list[OutgoingEmail]:
        """The e-mails carrying (or waiting for) one invoice's PDF."""
        rows = await self._conn.execute(
            select(emails).where(emails.c.document_id == document_id).order_by(emails.c.email_id)
        )
        return [_email(r) for r in rows]

    async def release(self, email: OutgoingEmail) -> bool:
        """A held e-mail goes to the sender's queue as `email` says (attached or not, its text
        written again); False when it was not held any more."""
        released = await self._conn.execute(
            update(emails)
            .where(emails.c.email_id == email.email_id, emails.c.status == "held")
            .values(
                status="pending",
                attached=email.attached,
                facts=None,
                subject=email.subject,
                text=email.text,
                html=email.html,
                next_attempt_at=None,
            )
        )
        return released.rowcount == 1

    async def retry_now(self) -> int:
        """After an outage is fixed: every pending e-mail is due again at once; returns how many."""
        result = await self._conn.execute(
            update(emails)
            .where(emails.c.status == "pending", emails.c.next_attempt_at.is_not(None))
            .values(next_attempt_at=None)
        )
        return result.rowcount

    async def log(self, caused_by: str | None = None, recipient_id: str | None = None) -> list[OutgoingEmail]:
        query = select(emails).order_by(emails.c.created_at, emails.c.email_id)
        if caused_by:
            query = query.where(emails.c.caused_by == caused_by)
        if recipient_id:
            query = query.where(emails.c.recipient_id == recipient_id)
        return [_email(r) for r in await self._conn.execute(query)]

    async def page_for(
        self, reader: Reader, page: PageRequest, caused_by: str | None = None, recipient_id: str | None = None
    ) -> list[OutgoingEmail]:
        """One page of the log (and one more row, if any), oldest first: only what `reader`
        may read (domain.access.may_read), filtered in the query so that every page is full."""
        query = select(emails).where(readable_by(reader))
        if caused_by:
            query = query.where(emails.c.caused_by == caused_by)
        if recipient_id:
            query = query.where(emails.c.recipient_id == recipient_id)
        rows = await self._conn.execute(keyset(query, [emails.c.created_at, emails.c.email_id], page))
        return [_email(r) for r in rows]


def readable_by(reader: Reader) -> ColumnElement[bool]:
    """domain.access.may_read as a condition on `emails`: sent to the reader, or about the account
    they act for and about a subject or account they administer now."""
    administered = select(administrators.c.subject_id).where(administrators.c.person_id == reader.person_id)
    return or_(
        emails.c.recipient_id == reader.person_id,
        and_(
            emails.c.account_id != "",
            emails.c.account_id == reader.account_id,
            or_(emails.c.subscription_id.in_(administered), emails.c.account_id.in_(administered)),
        ),
    )


def _email(r: Any) -> OutgoingEmail:
    return OutgoingEmail(**{k: getattr(r, k) for k in OutgoingEmail.__dataclass_fields__})
