"""One customer's bad data costs that customer's e-mail alone (issue 11, item 2).

A name, a company, a project id or an address with CR/LF once made composing raise; the
sender took it for an unreachable server, held back every tenant's e-mail and retried the
poison one forever. Now an e-mail that cannot be rendered or composed is `rejected` with a
reason, reported once (`notifications.email_rejected`) and never retried; only a server that
cannot be reached holds the queue."""

from __future__ import annotations

from datetime import timedelta

import aiosmtplib
import pytest

from notifications.domain.emails import OutgoingEmail
from notifications.handlers import emails as queueing
from notifications.store.emails import EmailRepository

from .samples import awaiting_approval, contact_added, invited, purchased, transferred
from .test_delivery import to

LINE_BREAK = "\r\nBcc: everyone@example.com"


def by_template(emails: list[OutgoingEmail]) -> dict[str, OutgoingEmail]:
    return {e.template: e for e in emails}


def rejections(published: list[dict]) -> list[dict]:
    return [e["data"] for e in published if e["type"] == "notifications.email_rejected"]


@pytest.mark.parametrize(
    "poison, template",
    [
        (
            to("ada@example.com").model_copy(
                update={
                    "administrator": to("ada@example.com").administrator.model_copy(
                        update={"email": "ada@example.com" + LINE_BREAK}
                    )
                }
            ),
            "agreement",
        ),
        (to("ada@example.com").model_copy(update={"product": "designer" + LINE_BREAK}), "agreement"),
        (contact_added().model_copy(update={"company_name": "Acme" + LINE_BREAK}), "contact_invitation"),
        (awaiting_approval().model_copy(update={"project_id": "proj-1" + LINE_BREAK}), "approval_request"),
    ],
    ids=["address", "product", "company", "project_id"],
)
async def test_item2_an_email_with_a_line_break_in_a_header_is_rejected_alone_and_the_others_go_out(
    notifications, sink, poison, template
):
    [poisoned] = await notifications.consume(poison)
    notifications.clock.advance(timedelta(seconds=1))  # queued after it: it must not wait for it
    await notifications.consume(to("bea@example.com"), to("cy@example.com"))

    handled = await notifications.send_round()  # no exception: nothing here says the server is down

    assert {m.to for m in sink.received()} >= {"bea@example.com", "cy@example.com"}
    bad = next(e for e in await notifications.emails() if e.caused_by == poisoned.id and e.template == template)
    assert (bad.status, bad.attempts) == ("rejected", 0) and bad.rejected_at and bad.next_attempt_at is None
    assert "line break" in bad.last_error and "everyone@" not in bad.last_error
    assert any(
        r["email_id"] == bad.email_id and r["reason"] == bad.last_error
        for r in rejections(await notifications.published())
    )
    assert all("everyone@example.com" not in m.to for m in sink.received())

    notifications.retry_clock.advance(timedelta(hours=1))  # never retried
    assert await notifications.send_round() == 0 and handled >= 2
    assert [e.status for e in await notifications.emails() if e.email_id == bad.email_id] == ["rejected"]


async def test_item2_a_transfer_to_two_addresses_mails_neither_and_tells_the_previous_administrator(
    notifications, sink
):
    await notifications.consume(purchased())
    two = transferred().model_copy(
        update={
            "new_administrator": transferred().new_administrator.model_copy(
                update={"email": "nia@example.com, eve@example.com"}
            )
        }
    )
    await notifications.consume(two)
    await notifications.send_round()

    emails = by_template(await notifications.emails())
    assert emails["administrator_transferred"].status == "rejected"
    assert "one e-mail address" in emails["administrator_transferred"].last_error
    assert emails["administrator_replaced"].status == "sent"
    assert not [m for m in sink.received() if "eve@" in m.to or "nia@" in m.to]


async def test_item2_a_poison_email_queued_before_the_fix_is_rejected_by_the_sender_which_goes_on(notifications, sink):
    """Rows queued by an older version were never checked: the sender checks again."""
    async with notifications.runtime.db.engine.begin() as conn:
        for n, address in enumerate(["old@example.com" + LINE_BREAK, "fine@example.com"]):
            await EmailRepository(conn).add_once(
                OutgoingEmail(
                    email_id=f"e-{n}",
                    caused_by=f"ev-{n}",
                    template="activated",
                    locale="en",
                    recipient_id=f"p-{n}",
                    recipient_email=address,
                    subscription_id=f"s-{n}",
                    correlation_id="c",
                    subject="Active",
                    text="t",
                    html="<p>h</p>",
                ),
                notifications.clock.now() + timedelta(seconds=n),
            )

    assert await notifications.send_round() == 2

    poison, fine = await notifications.emails()
    assert (poison.status, poison.attempts) == ("rejected", 1) and "line breaks" in poison.last_error
    assert fine.status == "sent" and [m.to for m in sink.received()] == ["fine@example.com"]
    assert [r["email_id"] for r in rejections(await notifications.published())] == ["e-0"]


async def test_item2_an_email_that_cannot_be_rendered_is_rejected_alone(notifications, sink, monkeypatch):
    real_render = queueing.render

    def broken_for_invitations(template, locale, facts):
        if template == "invitation":
            raise TypeError("a template fault")
        return real_render(template, locale, facts)

    monkeypatch.setattr(queueing, "render", broken_for_invitations)
    await notifications.consume(purchased(), invited())
    await notifications.send_round()

    emails = by_template(await notifications.emails())
    assert (emails["invitation"].status, emails["invitation"].last_error) == (
        "rejected",
        "the e-mail could not be rendered (TypeError)",
    )
    assert emails["agreement"].status == "sent" and notifications.dead_letters == []


async def test_item2_an_error_about_one_email_alone_delays_that_email_only(notifications, sink, monkeypatch):
    """Not a composing fault, not an unreachable server (e.g. a server without SMTPUTF8 and
    an address that needs it): that e-mail waits out its own backoff; the others go."""
    real_send = notifications.mailer.send

    async def no_smtputf8(email, attachment=None):
        if email.recipient_email.startswith("bea"):
            raise aiosmtplib.SMTPNotSupported("SMTPUTF8 is required but not supported")
        await real_send(email, attachment)

    monkeypatch.setattr(notifications.mailer, "send", no_smtputf8)
    await notifications.consume(to("bea@example.com"), to("cy@example.com"))

    assert await notifications.send_round() == 2
    bea, cy = sorted(await notifications.emails(), key=lambda e: e.recipient_id)
    assert (bea.status, bea.attempts, cy.status) == ("pending", 1, "sent")
    assert bea.next_attempt_at == notifications.retry_clock.now() + timedelta(seconds=0.4)
    assert bea.last_error.startswith("SMTPNotSupported")


async def test_R34_a_server_that_cannot_be_reached_still_holds_the_whole_queue(notifications, sink):
    sink.stop()
    await notifications.consume(to("bea@example.com"), to("cy@example.com"))
    with pytest.raises(OSError):  # noqa: PT011 - unreachable, refused or hung up: any OSError
        await notifications.send_round()
    tried, waiting = sorted(await notifications.emails(), key=lambda e: -e.attempts)
    assert (tried.status, tried.attempts, waiting.attempts) == ("pending", 1, 0)
