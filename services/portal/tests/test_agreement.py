"""The agreement page (R7, R8): read, accept once however often the form is sent, and the
activation shown honestly until seats has unlocked the pool; someone else's subscription
is the same not-found page as one that does not exist."""

from __future__ import annotations

import re

import httpx

from .conftest import ADA, EVE, hidden_fields, subscription


def same_page(html: str) -> str:
    """The page without the address it was asked at (the language switcher returns there)."""
    return re.sub(r'name="next" value="[^"]*"', "", html)


async def test_the_agreement_is_read_and_accepted_once_however_often_the_form_is_sent(portal):
    portal.fakes.subscriptions["s-1"] = subscription("s-1", ADA, status="pending_activation")
    await portal.sign_in()
    page = await portal.get("/subscriptions/s-1/agreement")
    assert page.status_code == 200
    assert "Licence agreement for 1200 named_user seat(s)" in page.text
    assert "Accept it by April 5, 2026, or the order lapses." in page.text
    form = hidden_fields(page.text)

    first = await portal.post("/subscriptions/s-1/agreement", data=form)
    second = await portal.post("/subscriptions/s-1/agreement", data=form)  # a double click

    assert first.status_code == second.status_code == 303
    assert first.headers["location"] == "/subscriptions/s-1/agreement"
    calls = portal.fakes.calls("POST", "/subscriptions/s-1/activation")
    assert [c.headers["idempotency-key"] for c in calls] == [form["idempotency_key"]] * 2
    assert portal.fakes.activations == 1


async def test_after_accepting_the_page_says_activating_until_seats_are_unlocked(portal):
    portal.fakes.subscriptions["s-1"] = subscription("s-1", ADA, status="pending_activation")
    await portal.sign_in()
    form = hidden_fields((await portal.get("/subscriptions/s-1/agreement")).text)
    await portal.post("/subscriptions/s-1/agreement", data=form)

    activating = await portal.get("/subscriptions/s-1/agreement")

    assert "Activating…" in activating.text
    assert 'hx-get="/subscriptions/s-1/activation"' in activating.text
    assert 'hx-trigger="every 2s"' in activating.text
    assert '<a href="/subscriptions/s-1/agreement">Refresh</a>' in activating.text  # without JavaScript
    assert 'name="idempotency_key"' not in activating.text  # nothing left to accept

    polled = await portal.get("/subscriptions/s-1/activation", headers={"HX-Request": "true"})
    assert polled.status_code == 200 and "Activating…" in polled.text and "<html" not in polled.text
    portal.fakes.pools["s-1"] = "locked"
    assert "Activating…" in (await portal.get("/subscriptions/s-1/activation", headers={"HX-Request": "true"})).text

    portal.fakes.pools["s-1"] = "unlocked"
    done = await portal.get("/subscriptions/s-1/activation", headers={"HX-Request": "true"})
    assert "the seats are unlocked" in done.text
    assert "hx-trigger" not in done.text  # the polling stops
    assert "the seats are unlocked" in (await portal.get("/subscriptions/s-1/agreement")).text


async def test_the_activation_partial_without_htmx_is_the_agreement_page(portal):
    portal.fakes.subscriptions["s-1"] = subscription("s-1", ADA)
    await portal.sign_in()
    answer = await portal.get("/subscriptions/s-1/activation")
    assert answer.status_code == 303 and answer.headers["location"] == "/subscriptions/s-1/agreement"


async def test_a_refusal_of_subscriptions_is_shown_on_the_page(portal):
    portal.fakes.subscriptions["s-1"] = subscription("s-1", ADA, status="pending_activation")
    await portal.sign_in()
    form = hidden_fields((await portal.get("/subscriptions/s-1/agreement")).text)
    portal.fakes.subscriptions["s-1"]["status"] = "activation_expired"  # the 90 days ran out meanwhile

    answer = await portal.post("/subscriptions/s-1/agreement", data=form)

    assert answer.status_code == 409
    assert "This subscription is not waiting for its agreement." in answer.text


async def test_another_company_s_subscription_is_the_same_page_as_an_unknown_one(portal):
    portal.fakes.subscriptions["s-eve"] = subscription("s-eve", EVE, status="pending_activation")
    await portal.sign_in(ADA)

    theirs = await portal.get("/subscriptions/s-eve/agreement")
    unknown = await portal.get("/subscriptions/s-nothing/agreement")
    malformed = await portal.get("/subscriptions/%3Cscript%3E/agreement")

    assert theirs.status_code == unknown.status_code == malformed.status_code == 404
    assert same_page(theirs.text) == same_page(unknown.text) == same_page(malformed.text)
    form = hidden_fields(unknown.text)
    accept = await portal.post("/subscriptions/s-eve/agreement", data={**form, "idempotency_key": "k" * 32})
    assert accept.status_code == 404 and same_page(accept.text) == same_page(unknown.text)
    assert portal.fakes.activations == 0
    assert re.search(r"<h1>Not found</h1>", theirs.text)


async def test_an_accept_form_without_the_rendered_key_sends_nothing(portal):
    portal.fakes.subscriptions["s-1"] = subscription("s-1", ADA, status="pending_activation")
    await portal.sign_in()
    form = hidden_fields((await portal.get("/subscriptions/s-1/agreement")).text)

    answer = await portal.post("/subscriptions/s-1/agreement", data={"csrf_token": form["csrf_token"]})

    assert answer.status_code == 404
    assert portal.fakes.calls("POST", "/subscriptions/s-1/activation") == []


async def test_accepting_without_the_csrf_token_is_refused(portal):
    portal.fakes.subscriptions["s-1"] = subscription("s-1", ADA, status="pending_activation")
    await portal.sign_in()
    form = hidden_fields((await portal.get("/subscriptions/s-1/agreement")).text)

    answer = await portal.post("/subscriptions/s-1/agreement", data={"idempotency_key": form["idempotency_key"]})

    assert answer.status_code == 403
    assert portal.fakes.activations == 0


async def test_seats_not_answering_leaves_the_page_saying_activating(portal):
    portal.fakes.subscriptions["s-1"] = subscription("s-1", ADA, status="active")
    await portal.sign_in()
    portal.fakes.pools["s-1"] = "unlocked"
    real = portal.fakes.seats
    portal.fakes.seats = lambda request: httpx.Response(503, json={"code": "down", "message": "down"})

    page = await portal.get("/subscriptions/s-1/agreement")

    assert page.status_code == 200 and "Activating…" in page.text
    portal.fakes.seats = real
    assert "the seats are unlocked" in (await portal.get("/subscriptions/s-1/agreement")).text
