"""Which pending e-mail goes first: the ones someone waits on, then the oldest (R33)."""

from datetime import UTC, datetime, timedelta

from notifications.domain.emails import OutgoingEmail
from notifications.store.emails import EmailRepository
from notifications.store.tables import metadata
from servicekit.migrations import migrate_database
from servicekit.store.db import Database

NOW = datetime(2026, 1, 5, 9, tzinfo=UTC)


def email(email_id: str, template: str) -> OutgoingEmail:
    return OutgoingEmail(
        email_id=email_id,
        caused_by=f"ev-{email_id}",
        template=template,
        locale="en",
        recipient_id="p-1",
        recipient_email="ada@example.com",
        subscription_id="s-1",
        correlation_id="c-1",
        subject="s",
        text="t",
        html="h",
    )


async def test_R33_an_agreement_is_sent_before_older_invoices(tmp_path):
    database = Database(f"sqlite+aiosqlite:///{tmp_path}/notifications.db", "notifications", (metadata,))
    await migrate_database(database, "notifications")
    try:
        async with database.connect() as conn:
            repo = EmailRepository(conn)
            for n, template in enumerate(["invoice_issued", "activated", "invoice_issued", "agreement"]):
                await repo.add_once(email(f"e{n}", template), NOW + timedelta(seconds=n))
            await conn.commit()
            due = await EmailRepository(conn).due(NOW + timedelta(minutes=1), limit=10)
        assert [e.email_id for e in due] == ["e3", "e0", "e1", "e2"]
    finally:
        await database.dispose()
