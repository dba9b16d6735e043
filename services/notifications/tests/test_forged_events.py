"""A forged or corrupt event cannot make notifications write to someone else or re-point who
reads a subscription's e-mails (issue 11, item 1): an event that contradicts what earlier
events said is dead-lettered as `inconsistent`, applied not at all, and sends nothing."""

from __future__ import annotations

import pytest

from contracts.errors import InconsistentEvent
from contracts.values import Contact
from notifications.domain.consistency import KnownSubscription, check_agrees

from .samples import (
    ACCOUNT,
    SID,
    activated,
    admin,
    amendment,
    awaiting_approval,
    contact_added,
    grace,
    invited,
    invoice,
    purchased,
    registration_attempted,
    transferred,
    trial_ended,
    trial_started,
    unassigned,
    verification,
    verification_lapsed,
)

ADMIN, NEW_ADMIN, USER = "p-1", "p-2", "u-1"
MALLORY = Contact(person_id="p-mallory", email="mallory@evil.example", name="Mallory", locale="en")


async def refused(notifications, event) -> str:
    """Delivers `event`; asserts it was dead-lettered as inconsistent and queued nothing."""
    before = len(await notifications.emails())
    await notifications.consume(event)
    [letter] = [d for d in notifications.dead_letters if d.type == event.type]
    assert letter.reason == "inconsistent", letter
    assert len(await notifications.emails()) == before
    notifications.dead_letters.clear()
    return letter.error


async def test_item1_an_event_about_a_subscription_never_purchased_is_dead_lettered_and_mails_nobody(
    notifications, sink
):
    for event in (activated(), grace(), amendment(), transferred(), invited(), unassigned(), invoice()):
        assert "never saw" in await refused(notifications, event)
    await notifications.send_round()
    assert sink.received() == []
    # and nothing was learnt from them: the subscription is still unknown
    assert (await notifications.get("/deliveries?recipient=u-1", NEW_ADMIN, ACCOUNT)).json() == []


async def test_item1_a_forged_transfer_does_not_re_point_the_subscription_nor_mail_the_forger(notifications, sink):
    [purchase] = await notifications.consume(purchased())
    forged = transferred().model_copy(update={"previous_administrator": MALLORY, "new_administrator": MALLORY})
    assert "whose administrator is person p-1" in await refused(notifications, forged)

    # the administrator still reads the subscription's e-mails; the forger does not
    assert len((await notifications.get(f"/deliveries?caused_by={purchase.id}", ADMIN, ACCOUNT)).json()) == 1
    assert (await notifications.get(f"/deliveries?caused_by={purchase.id}", "p-mallory", ACCOUNT)).json() == []
    await notifications.send_round()
    assert [m.to for m in sink.received()] == ["ada@example.com"]


async def test_item1_an_event_naming_another_account_or_administrator_or_address_is_refused(notifications, sink):
    await notifications.consume(purchased())
    assert "belongs to account a-1" in await refused(notifications, grace().model_copy(update={"account_id": "a-evil"}))
    assert "whose administrator is person p-1" in await refused(
        notifications, grace().model_copy(update={"administrator": MALLORY})
    )
    at_another_address = admin().model_copy(update={"email": "mallory@evil.example"})
    assert "at another address" in await refused(
        notifications, grace().model_copy(update={"administrator": at_another_address})
    )
    await notifications.consume(grace())  # the true one still goes through
    assert notifications.dead_letters == []


async def test_item1_seats_may_name_the_previous_administrator_but_not_a_stranger(notifications, sink):
    """Seats writes what it knew: an invitation sent just before it applied a transfer names
    the previous administrator, which is no contradiction; a stranger is."""
    await notifications.consume(purchased(), transferred())
    await notifications.consume(invited())  # invited by p-1, the previous administrator
    assert notifications.dead_letters == []
    assert "never administered" in await refused(
        notifications, invited().model_copy(update={"invitation_id": "x", "invited_by": MALLORY})
    )
    # and seats does not re-point it back: the new administrator still reads its e-mails
    assert len((await notifications.get("/deliveries?recipient=u-1", NEW_ADMIN, ACCOUNT)).json()) == 1


async def test_item1_an_invoice_billing_a_subscription_of_another_account_is_refused(notifications, sink):
    await notifications.consume(purchased())
    assert "belongs to account a-1" in await refused(
        notifications, invoice().model_copy(update={"account_id": "a-evil"})
    )
    assert "never administered" in await refused(notifications, invoice().model_copy(update={"administrator": MALLORY}))
    await notifications.consume(invoice())
    assert notifications.dead_letters == []


async def test_item1_a_trial_or_a_reseller_order_starts_a_subscription_as_a_purchase_does(notifications, sink):
    await notifications.consume(trial_started(), trial_ended())
    assert notifications.dead_letters == []
    reseller_order = awaiting_approval().model_copy(update={"subscription_id": "s-order"})
    by_the_reseller = purchased().model_copy(
        update={"subscription_id": "s-order", "administrator": reseller_order.reseller}
    )
    await notifications.consume(reseller_order, by_the_reseller)
    assert notifications.dead_letters == []
    assert {e.template for e in await notifications.emails()} == {
        "trial_ended",
        "approval_request",
        "approval_pending",
        "agreement",
    }


async def test_item1_identity_events_come_first_for_their_subject_and_are_not_refused(notifications, sink):
    await notifications.consume(verification(), contact_added(), verification_lapsed(), registration_attempted())
    assert notifications.dead_letters == []
    assert {e.template for e in await notifications.emails()} == {
        "verification",
        "contact_invitation",
        "account_verification_lapsed",
        "registration_attempted",
    }


KNOWN = {SID: KnownSubscription(SID, ACCOUNT, NEW_ADMIN, {ADMIN: "ada@example.com", NEW_ADMIN: "nia@example.com"})}


@pytest.mark.parametrize(
    "event",
    [
        activated().model_copy(update={"administrator": Contact(person_id=NEW_ADMIN, email="nia@example.com")}),
        invited(),
        unassigned(),
        invoice(),
        transferred().model_copy(
            update={
                "previous_administrator": Contact(person_id=NEW_ADMIN, email="nia@example.com"),
                "new_administrator": admin(),
            }
        ),
        verification(),
        contact_added(),
        registration_attempted(),
    ],
    ids=lambda e: e.type,
)
def test_item1_events_that_agree_with_what_is_known_pass(event):
    check_agrees(event, KNOWN)


@pytest.mark.parametrize(
    "event",
    [
        activated(),  # names the previous administrator: subscriptions' own events are in order
        transferred(),  # from p-1, who no longer administers it
        unassigned().model_copy(update={"account_id": "a-2"}),
        invited().model_copy(update={"invited_by": MALLORY}),
        invoice().model_copy(update={"lines": [invoice().lines[0].model_copy(update={"subscription_id": "s-other"})]}),
    ],
    ids=lambda e: e.type,
)
def test_item1_events_that_contradict_what_is_known_are_inconsistent(event):
    with pytest.raises(InconsistentEvent) as raised:
        check_agrees(event, KNOWN)
    assert raised.value.code == "inconsistent_event" and "no e-mail sent" in raised.value.message
