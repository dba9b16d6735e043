"""Outgoing e-mails: rendered once, sent once, and the delivery log people can query."""
from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import Column, Integer, MetaData, String, Table, Text, insert, select, update
from sqlalchemy.ext.asyncio import AsyncConnection

from servicekit.db import UTCDateTime

metadata = MetaData()

emails = Table(
    "emails", metadata,
    Column("email_id", String(64), primary_key=True),
    Column("caused_by", String(64), nullable=False, index=True),
    Column("template", String(64), nullable=False),
    Column("locale", String(8), nullable=False),
    Column("recipient_id", String(64), nullable=False, index=True),
    Column("recipient_email", String(320), nullable=False),
    Column("subscription_id", String(64), nullable=False, index=True),
    Column("correlation_id", String(64), nullable=False),
    Column("subject", String(500), nullable=False),
    Column("text", Text, nullable=False),
    Column("html", Text, nullable=False),
    Column("status", String(16), nullable=False, index=True),  # pending, sent, rejected
    Column("attempts", Integer, nullable=False, default=0),
    Column("last_error", String(2000)),
    Column("created_at", UTCDateTime, nullable=False),
    Column("sent_at", UTCDateTime),
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
    status: str = "pending"
    attempts: int = 0
    last_error: str | None = None
    sent_at: datetime | None = None


class EmailRepository:
    def __init__(self, conn: AsyncConnection) -> None:
        self._conn = conn

    async def add_once(self, email: OutgoingEmail, at: datetime) -> bool:
        """False when this e-mail (same event, template, recipient) was already queued."""
        exists = (await self._conn.execute(select(emails.c.email_id).where(
            emails.c.email_id == email.email_id))).first()
        if exists:
            return False
        await self._conn.execute(insert(emails).values(**vars(email), created_at=at))
        return True

    async def pending(self, limit: int) -> list[OutgoingEmail]:
        rows = await self._conn.execute(select(emails).where(emails.c.status == "pending")
                                        .order_by(emails.c.created_at, emails.c.email_id).limit(limit))
        return [_email(r) for r in rows]

    async def mark(self, email_id: str, status: str, at: datetime | None, error: str | None = None) -> None:
        await self._conn.execute(update(emails).where(emails.c.email_id == email_id).values(
            status=status, sent_at=at, last_error=error, attempts=emails.c.attempts + 1))

    async def count_failure(self, email_id: str, error: str) -> None:
        await self._conn.execute(update(emails).where(emails.c.email_id == email_id).values(
            last_error=error[:2000], attempts=emails.c.attempts + 1))

    async def log(self, subscription_id: str | None = None, recipient_id: str | None = None) -> list[OutgoingEmail]:
        query = select(emails).order_by(emails.c.created_at)
        if subscription_id:
            query = query.where(emails.c.subscription_id == subscription_id)
        if recipient_id:
            query = query.where(emails.c.recipient_id == recipient_id)
        return [_email(r) for r in await self._conn.execute(query)]


def _email(r) -> OutgoingEmail:
    return OutgoingEmail(**{k: getattr(r, k) for k in OutgoingEmail.__dataclass_fields__})
