"""R41: on assignment the user gets a licence e-mail (registered or not): a web product's start
link; a desktop product's download link and, node-locked, the activation key kept for them. One
e-mail per assignment, however often its event is delivered."""

from __future__ import annotations

import pytest

from contracts.values import LicenceType
from notifications.adapters.rendering import render
from notifications.domain.emails import LOCALES, emails_for

from .samples import DESKTOP, assigned, purchased

KEY = "AB12-CD34-EF56-7890"


def licence_email(event, locale: str):
    [request] = emails_for(event, "event-1")
    return request, render(request.template, locale, request.facts)


@pytest.mark.parametrize("locale", LOCALES)
def test_R41_a_web_product_sends_its_start_link_to_the_assigned_user(locale):
    request, email = licence_email(assigned(locale), locale)
    assert (request.template, request.recipient.person_id, request.recipient.email, request.locale) == (
        "licence",
        "u-1",
        "uma@example.com",
        locale,
    )
    assert "designer.example.com/start?x=1&y=2" in email.text
    assert "designer.example.com/start?x=1&amp;y=2" in email.html
    assert "designer" in email.subject and "Uma &lt;User&gt;" in email.html
    assert KEY not in email.text and "downloads.example.com" not in email.text


@pytest.mark.parametrize("locale", LOCALES)
def test_R41_a_node_locked_desktop_product_sends_the_download_link_and_the_kept_key(locale):
    event = assigned(locale, LicenceType.NODE_LOCKED, DESKTOP, activation_key=KEY)
    _, email = licence_email(event, locale)
    for part in (email.text, email.html):
        assert KEY in part and "downloads.example.com/printserver.msi" in part
    assert "printserver.msi?v=2&x=1" in email.text and "printserver.msi?v=2&amp;x=1" in email.html


@pytest.mark.parametrize("locale", LOCALES)
def test_R41_a_floating_desktop_seat_has_a_download_link_and_no_key(locale):
    _, email = licence_email(assigned(locale, LicenceType.FLOATING, DESKTOP, activation_key=KEY), locale)
    assert "downloads.example.com" in email.text and KEY not in email.text + email.html


@pytest.mark.parametrize("locale", LOCALES)
def test_R41_a_node_locked_seat_without_a_free_key_says_whom_to_ask(locale):
    with_key = licence_email(assigned(locale, LicenceType.NODE_LOCKED, DESKTOP, activation_key=KEY), locale)[1]
    without = licence_email(assigned(locale, LicenceType.NODE_LOCKED, DESKTOP), locale)[1]
    assert without.text != with_key.text and KEY not in without.text and "None" not in without.text


def test_R41_a_subscription_without_product_links_still_tells_the_user_of_their_seat():
    _, email = licence_email(assigned(software=None), "en")
    assert "designer" in email.text and "href" not in email.html


def test_R41_an_assignment_announced_before_seats_said_how_it_is_used_sends_nothing():
    older = assigned().model_copy(update={"licence_type": None, "software": None})
    assert emails_for(older, "event-1") == []


async def test_R41_one_licence_email_per_assignment_however_often_it_is_delivered(notifications, sink):
    await notifications.consume(purchased())
    [envelope] = await notifications.consume(assigned())
    await notifications.consume(envelopes=[envelope])  # the same event again (a replay)
    await notifications.restart()
    await notifications.consume(envelopes=[envelope])
    await notifications.consume(assigned())  # assigned again later: another event, another e-mail
    while await notifications.send_round():
        pass
    licences = [m for m in sink.received() if m.template == "licence"]
    assert len(licences) == 2
    assert [e.template for e in await notifications.emails()].count("licence") == 2
