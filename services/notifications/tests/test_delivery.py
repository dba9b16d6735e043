"""Delivery through the real consumer and sender against a real SMTP server: once per event
across replays (R34), outages delay without losing, a 5xx is recorded and reported, a 4xx
waits out its own backoff while the e-mails queued after it pass it."""

from __future__ import annotations

import logging
from datetime import timedelta

import pytest

from contracts.envelope import Envelope
from notifications.domain.emails import SECRET_TEMPLATES
from notifications.handlers.emails import queue_emails

from . import samples
from .conftest import OPERATOR_TOKEN
from .samples import AT, admin, purchased, transferred, verification

ADMIN, ACCOUNT = "p-1", samples.ACCOUNT


def to(address: str, locale: str = "en"):
    """The purchase sample, by another administrator at that address (another subscription)."""
    event = purchased(locale)
    who = address.split("@")[0]
    return event.model_copy(
        update={
            "subscription_id": f"s-{who}",
            "administrator": admin(locale).model_copy(update={"person_id": f"p-{who}", "email": address}),
        }
    )


async def test_R34_an_event_replayed_after_a_restart_sends_its_email_once(notifications, sink):
    [envelope] = await notifications.consume(purchased())
    await notifications.send_round()
    await notifications.restart()
    await notifications.consume(envelopes=[envelope])
    assert await notifications.send_round() == 0

    assert [m.template for m in sink.received()] == ["agreement"]
    [sent] = [e for e in await notifications.published() if e["type"] == "notifications.email_sent"]
    assert sent["data"]["caused_by"] == envelope.id and "ada@example.com" not in str(sent)


async def test_R34_even_past_the_inbox_the_same_event_queues_its_email_once(notifications, sink):
    envelope = Envelope.wrap(purchased(), source="test", time=AT)
    for _ in range(2):  # as a second consumer group, or a lost inbox row, would
        async with notifications.runtime.uow(cause=envelope) as uow:
            await queue_emails(purchased(), uow)
            await uow.commit()
    await notifications.send_round()
    assert len(await notifications.emails()) == 1 and len(sink.received()) == 1


async def test_R34_an_smtp_outage_delays_mail_and_loses_none(notifications, sink):
    sink.stop()
    await notifications.consume(purchased(), verification())
    try:
        await notifications.send_round()
        raise AssertionError("an unreachable server must stop the round")
    except OSError:
        pass
    tried, waiting = sorted(await notifications.emails(), key=lambda e: -e.attempts)
    assert (tried.status, tried.attempts, tried.next_attempt_at) == ("pending", 1, AT + timedelta(seconds=0.4))
    assert "Connect" in tried.last_error and (waiting.status, waiting.attempts) == ("pending", 0)

    sink.start()
    notifications.retry_clock.advance(timedelta(seconds=0.4))
    assert await notifications.send_round() == 2
    assert {m.template for m in sink.received()} == {"agreement", "verification"}
    assert sorted((e.status, e.attempts, e.next_attempt_at) for e in await notifications.emails()) == [
        ("sent", 1, None),
        ("sent", 2, None),
    ]


async def test_R34_a_temporarily_refused_email_backs_off_while_the_next_ones_pass_it(notifications, sink):
    await notifications.consume(to("busy@example.com"))
    notifications.clock.advance(timedelta(minutes=1))  # queued after it
    await notifications.consume(purchased(), transferred())
    assert await notifications.send_round() == 4
    busy = (await notifications.emails())[0]
    assert (busy.template, busy.recipient_id) == ("agreement", "p-busy")
    assert sorted(m.template for m in sink.received()) == [
        "administrator_replaced",
        "administrator_transferred",
        "agreement",
    ]
    assert (busy.status, busy.attempts, busy.last_error) == ("pending", 1, "451 4.3.0 Try again later")

    for attempt, wait in ((2, 0.4), (3, 0.8), (4, 1.6)):
        assert await notifications.send_round() == 0  # not yet its turn
        notifications.retry_clock.advance(timedelta(seconds=wait))
        await notifications.send_round()
        busy = (await notifications.emails())[0]
        assert (busy.attempts, busy.next_attempt_at) == (
            attempt,
            notifications.retry_clock.now() + timedelta(seconds=wait * 2),
        )

    sink.handler.busy.clear()
    notifications.retry_clock.advance(timedelta(seconds=3.2))
    assert await notifications.send_round() == 1
    assert (await notifications.emails())[0].status == "sent"
    assert len(sink.received()) == 4


async def test_R34_a_permanently_rejected_address_is_recorded_reported_and_never_retried(notifications, sink):
    [envelope] = await notifications.consume(to("gone@example.com"))
    await notifications.send_round()
    notifications.retry_clock.advance(timedelta(hours=1))
    assert await notifications.send_round() == 0

    [email] = await notifications.emails()
    assert (email.status, email.attempts, email.rejected_at) == ("rejected", 1, AT)
    assert email.last_error.startswith("550") and sink.received() == []
    [rejected] = [e for e in await notifications.published() if e["type"] == "notifications.email_rejected"]
    assert rejected["data"] | {"reason": "550"} == {
        "email_id": email.email_id,
        "template": "agreement",
        "recipient_id": "p-gone",
        "subscription_id": "s-gone",
        "caused_by": envelope.id,
        "reason": "550",
        "rejected_at": AT.isoformat().replace("+00:00", "Z"),
    }
    assert "gone@example.com" not in str(rejected)


async def test_R34_the_verification_link_is_never_logged_nor_kept_once_sent(notifications, sink, caplog):
    caplog.set_level(logging.INFO)  # what services log at; aiosqlite and aiosmtpd debug output shows bodies
    sink.handler.busy.add("uma@example.com")
    await notifications.consume(verification())
    await notifications.send_round()
    sink.handler.busy.clear()
    notifications.retry_clock.advance(timedelta(seconds=1))
    await notifications.send_round()

    [mail] = sink.received()
    assert "token=s3cr3t" in mail.text and "verification" in SECRET_TEMPLATES
    assert "s3cr3t" not in caplog.text
    [email] = await notifications.emails()
    assert (email.status, email.text, email.html) == ("sent", "", "")


async def test_R34_after_an_outage_an_operator_makes_every_waiting_email_due_at_once(notifications, sink):
    sink.stop()
    await notifications.consume(purchased())
    for _ in range(2):  # two failed attempts: the e-mail now waits 0.8 s of retry time
        with pytest.raises(OSError):  # noqa: PT011 - unreachable, refused or hung up: any OSError
            await notifications.send_round()
        notifications.retry_clock.advance(timedelta(seconds=0.4))
    sink.start()
    assert await notifications.send_round() == 0  # still waiting out its backoff

    answer = await notifications.post("/ops/deliveries/retry-now", headers={"X-Operator-Token": OPERATOR_TOKEN})

    assert answer.status_code == 200 and answer.json() == {"due_now": 1}
    assert await notifications.send_round() == 1
    assert [(e.status, e.attempts) for e in await notifications.emails()] == [("sent", 3)]


async def test_making_waiting_emails_due_is_refused_without_the_operator_token(notifications):
    answer = await notifications.post("/ops/deliveries/retry-now", headers={})
    assert answer.status_code == 403
