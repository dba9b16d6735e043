"""Sign up (an account and its administrator, the terms accepted) and the landing page of the
verification e-mail's link, which completes the verification at identity (R1)."""

from __future__ import annotations

import json

from .conftest import hidden_fields

SIGN_UP = {"company_name": "Acme", "name": "Ada Lovelace", "email": "ada@acme.example", "password": "Correct-Horse-9"}


async def test_signing_up_registers_the_account_and_its_administrator_once(portal):
    form = hidden_fields((await portal.get("/sign-up")).text)

    first = await portal.post("/sign-up", data={**form, **SIGN_UP, "accept_terms": "yes"})
    again = await portal.post("/sign-up", data={**form, **SIGN_UP, "accept_terms": "yes"})  # resubmitted

    assert first.status_code == again.status_code == 200
    assert "We sent a link to ada@acme.example." in first.text
    calls = portal.fakes.calls("POST", "/accounts")
    assert {c.headers["idempotency-key"] for c in calls} == {form["idempotency_key"]}
    assert len(portal.fakes.registrations) == 1
    assert json.loads(calls[0].content) == {**SIGN_UP, "locale": "en", "accept_terms": True}


async def test_signing_up_without_accepting_the_terms_shows_why_and_keeps_the_fields(portal):
    form = hidden_fields((await portal.get("/sign-up")).text)

    answer = await portal.post("/sign-up", data={**form, **SIGN_UP})

    assert answer.status_code == 422
    assert "Accept the terms of use to register." in answer.text
    assert 'value="Acme"' in answer.text and "Correct-Horse-9" not in answer.text
    assert hidden_fields(answer.text)["idempotency_key"] != form["idempotency_key"]  # the next try is another


async def test_signing_up_in_french_registers_a_french_speaking_person(portal):
    form = hidden_fields((await portal.get("/sign-up")).text)
    await portal.post("/language", data={"csrf_token": form["csrf_token"], "locale": "fr", "next": "/sign-up"})
    form = hidden_fields((await portal.get("/sign-up")).text)

    answer = await portal.post("/sign-up", data={**form, **SIGN_UP, "accept_terms": "yes"})

    assert "Nous avons envoyé un lien à ada@acme.example." in answer.text
    [call] = portal.fakes.calls("POST", "/accounts")
    assert json.loads(call.content)["locale"] == "fr"


async def confirm(portal, token: str):
    """Open the e-mailed link, then click its one button, as the person does."""
    page = await portal.get(f"/verifications?token={token}")
    fields = hidden_fields(page.text)
    return await portal.post("/verifications", data=fields, follow_redirects=True)


async def test_R1_the_verification_link_asks_for_a_click_then_verifies_at_identity(portal):
    portal.fakes.verification_tokens["tok_123-abc"] = "pending"

    page = await portal.get("/verifications?token=tok_123-abc")
    assert page.status_code == 200 and "Confirm my e-mail address" in page.text
    assert portal.fakes.calls("POST", "/verifications") == []  # a mail scanner's fetch spends nothing
    assert page.headers["referrer-policy"] == "no-referrer"  # the token leaves with no link

    done = await confirm(portal, "tok_123-abc")
    assert done.status_code == 200 and done.url.path == "/verifications/done"
    assert "Your e-mail address is verified. You can sign in now." in done.text
    [call] = portal.fakes.calls("POST", "/verifications")
    assert json.loads(call.content) == {"token": "tok_123-abc"}


async def test_confirming_again_gives_the_same_answer(portal):
    portal.fakes.verification_tokens["tok_123-abc"] = "pending"

    first = await confirm(portal, "tok_123-abc")
    second = await confirm(portal, "tok_123-abc")

    assert first.status_code == second.status_code == 200
    keys = {c.headers["idempotency-key"] for c in portal.fakes.calls("POST", "/verifications")}
    assert len(keys) == 1 and "tok_123-abc" not in next(iter(keys))


async def test_a_confirmation_without_the_page_s_csrf_token_verifies_nothing(portal):
    portal.fakes.verification_tokens["tok_123-abc"] = "pending"
    await portal.get("/verifications?token=tok_123-abc")
    refused = await portal.post("/verifications", data={"token": "tok_123-abc", "csrf_token": "forged"})
    assert refused.status_code == 403 and portal.fakes.calls("POST", "/verifications") == []


async def test_a_used_or_unknown_link_says_what_to_do(portal):
    portal.fakes.verification_tokens["used-one"] = "used"

    used = await confirm(portal, "used-one")
    unknown = await confirm(portal, "nope")
    malformed = await portal.get("/verifications?token=%3Cb%3E")

    assert used.status_code == 409 and "your e-mail address is verified, you can sign in" in used.text
    assert unknown.status_code == 404 and "This link is not valid." in unknown.text
    assert malformed.status_code == 404 and "<b>" not in malformed.text
    assert len(portal.fakes.calls("POST", "/verifications")) == 2
