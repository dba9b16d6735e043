"""The invitation e-mail's landing page (R22, R40, R1): seats links an invited user to
`<identity public url>/people/registration?email=...` (the portal's address); the page is a
registration form with that address filled in, sends identity's `POST /people` once however
often it is submitted, then signs the person in when identity allows it and lands on
"My software". The fake identity below answers as identity's `api/registration.py` and
`POST /tokens` do: the same answer to a registration whether or not the address was free, and no
sign-in before the e-mail is verified."""

from __future__ import annotations

import json
from typing import Any
from urllib.parse import quote

import httpx
import pytest

from .conftest import ADA, PASSWORD, hidden_fields, problem

INVITED = "new.user@example.com"


class Identity:
    def __init__(self, fakes) -> None:
        self.fakes = fakes
        self.pending: dict[str, str] = {}  # unverified e-mail → password
        self.registrations: list[dict[str, Any]] = []
        self.without_account: set[str] = set()  # verified, but nobody's contact (R2)
        fakes.route("identity", "POST", r"/people")(self.register)
        fakes.route("identity", "POST", r"/tokens")(self.sign_in)

    def register(self, request, caller, match) -> httpx.Response:
        body = json.loads(request.content)
        if not body.get("accept_terms"):
            return problem(422, "terms_not_accepted", "Accept the terms of use (R1).")
        if len(body["password"]) < 10:
            return problem(422, "weak_password", "Choose a stronger password.")
        self.registrations.append(body)
        if body["email"] not in self.fakes.people:  # a verified owner keeps the address
            self.pending[body["email"]] = body["password"]
        return httpx.Response(201, json={"person_id": "p-made-up", "email_verified": False})

    def sign_in(self, request, caller, match) -> httpx.Response:
        body = json.loads(request.content)
        if self.pending.get(body["email"]) == body["password"]:
            return problem(403, "email_not_verified", "Confirm your e-mail address first (R1).")
        password, person = self.fakes.people.get(body["email"], ("", None))
        if person is None or body["password"] != password:
            return problem(401, "bad_credentials", "Unknown e-mail or wrong password.")
        if person.email in self.without_account:
            return problem(403, "no_account", "You are not a contact of any account yet (R2).")
        return httpx.Response(200, json={"access_token": self.fakes.token_for(person), "expires_in": 3600})


@pytest.fixture
def identity(portal) -> Identity:
    found = Identity(portal.fakes)
    portal.fakes.route("seats", "GET", r"/me/software")(
        lambda request, caller, match: httpx.Response(200, json={"software": []})
    )
    return found


def link(email: str = INVITED) -> str:
    """The path of the link seats puts in the invitation e-mail (`seats.domain.users.register_url`;
    its host is `SEATS_IDENTITY_PUBLIC_URL`, the portal's)."""
    return f"/people/registration?email={quote(email)}"


async def registration_form(portal, email: str = INVITED) -> dict[str, str]:
    page = await portal.get(link(email))
    assert page.status_code == 200, page.text
    return hidden_fields(page.text)


def filled(fields: dict[str, str], **values: str) -> dict[str, str]:
    return {
        **fields,
        "email": INVITED,
        "name": "New User",
        "password": "Another-Horse-7",
        "accept_terms": "yes",
        **values,
    }


async def test_R22_the_invitation_link_opens_a_registration_form_with_the_address_filled_in(portal, identity):
    assert link("new.user+x@example.com") == "/people/registration?email=new.user%2Bx%40example.com"
    page = await portal.get(link("new.user+x@example.com"))
    assert page.status_code == 200
    assert '<input id="email" name="email" type="email"' in page.text
    assert 'value="new.user+x@example.com"' in page.text
    for label in ("E-mail address", "Your first and last name", "Password", "I accept the terms of use."):
        assert label in page.text
    assert 'name="idempotency_key"' in page.text and 'name="csrf_token"' in page.text
    assert not portal.fakes.requests  # nothing asked of anyone to show it


async def test_R1_registering_sends_one_registration_however_often_the_form_is_sent(portal, identity):
    form = filled(await registration_form(portal))

    first = await portal.post("/people/registration", data=form)
    second = await portal.post("/people/registration", data=form)  # a double click

    assert first.status_code == second.status_code == 200
    calls = portal.fakes.calls("POST", "/people")
    assert [c.headers["idempotency-key"] for c in calls] == [form["idempotency_key"]] * 2
    assert len(identity.registrations) == 1
    assert identity.registrations[0] == {
        "email": INVITED,
        "name": "New User",
        "password": "Another-Horse-7",
        "locale": "en",
        "accept_terms": True,
    }
    # Identity signs in verified people only: the newcomer is sent to their mailbox.
    assert "Check your e-mail" in first.text
    assert f"If {INVITED} is new to us, we sent it a link" in first.text
    assert 'href="/sign-in?next=/software"' in first.text


async def test_R40_a_person_identity_lets_in_at_once_is_signed_in_and_lands_on_their_software(portal, identity):
    """Someone whose address already had an account, registering again with its password."""
    form = filled(await registration_form(portal, ADA.email), email=ADA.email, password=PASSWORD)

    answer = await portal.post("/people/registration", data=form)

    assert answer.status_code == 303 and answer.headers["location"] == "/software"
    software = await portal.get("/software")
    assert software.status_code == 200 and "My software" in software.text


async def test_R1_an_address_already_registered_gets_the_answer_a_newcomer_gets_with_a_sign_in_link(portal, identity):
    """Identity does not tell who is registered (issue 11); neither does this page."""
    taken = await portal.post(
        "/people/registration",
        data=filled(await registration_form(portal, ADA.email), email=ADA.email, password="Not-Her-Password-1"),
    )
    new = await portal.post("/people/registration", data=filled(await registration_form(portal)))

    assert taken.status_code == new.status_code == 200
    assert "If this address already has an account, sign in with its password." in taken.text
    assert 'href="/sign-in?next=/software"' in taken.text
    assert taken.text.replace(ADA.email, INVITED) == new.text.replace(
        hidden_fields(new.text)["csrf_token"], hidden_fields(taken.text)["csrf_token"]
    )


async def test_R2_a_verified_person_no_company_has_added_is_told_to_ask_their_administrator(portal, identity):
    identity.without_account.add(ADA.email)
    form = filled(await registration_form(portal, ADA.email), email=ADA.email, password=PASSWORD)
    answer = await portal.post("/people/registration", data=form)
    assert answer.status_code == 200
    assert 'role="alert">You are registered, but no company has added you as a contact yet' in answer.text
    assert (await portal.get("/software")).status_code == 303  # not signed in


async def test_R1_a_refusal_of_identity_shows_the_form_again_with_what_was_typed(portal, identity):
    fields = await registration_form(portal)
    answer = await portal.post("/people/registration", data=filled(fields, accept_terms=""))
    assert answer.status_code == 422
    assert 'role="alert">Accept the terms of use to register.' in answer.text
    assert 'value="New User"' in answer.text and f'value="{INVITED}"' in answer.text
    # Corrected, it is another request: a new key.
    assert hidden_fields(answer.text)["idempotency_key"] != fields["idempotency_key"]

    weak = await portal.post("/people/registration", data=filled(hidden_fields(answer.text), password="short"))
    assert weak.status_code == 422 and "Choose a stronger password" in weak.text


@pytest.mark.parametrize(
    ("field", "value", "message"),
    [
        ("name", "", "Enter your first and last name"),
        ("name", "x" * 201, "Enter your first and last name"),
        ("email", "", "Enter the e-mail address the invitation was sent to."),
        ("email", "a" * 250 + "@example.com", "Enter the e-mail address the invitation was sent to."),
        ("password", "", "Choose a password."),
        ("password", "P4ss-" * 201, "This password is too long"),
    ],
)
async def test_bad_input_is_refused_before_identity_is_asked(portal, identity, field, value, message):
    answer = await portal.post("/people/registration", data=filled(await registration_form(portal), **{field: value}))
    assert answer.status_code == 422
    assert message in answer.text
    assert not portal.fakes.calls("POST", "/people")
    if field != "name":
        assert 'value="New User"' in answer.text  # nothing typed is lost


async def test_a_registration_without_the_forms_csrf_token_is_refused(portal, identity):
    fields = await registration_form(portal)
    answer = await portal.post("/people/registration", data=filled(fields, csrf_token="forged"))
    assert answer.status_code == 403 and not identity.registrations


async def test_a_link_with_an_overlong_address_opens_an_empty_form(portal, identity):
    page = await portal.get(link("a" * 300 + "@example.com"))
    assert (
        page.status_code == 200
        and 'name="email" type="email" required maxlength="254" autocomplete="email" value=""' in page.text
    )


async def test_the_landing_page_in_french_and_dutch(portal, identity):
    page = await portal.get(link(), headers={"Accept-Language": "fr-BE,fr;q=0.9"})
    assert page.status_code == 200 and '<html lang="fr">' in page.text
    dutch = await portal.get(link() + "&lang=nl")
    assert '<html lang="nl">' in dutch.text
    form = filled(hidden_fields(dutch.text))
    await portal.post("/people/registration", data=form)
    assert identity.registrations[-1]["locale"] == "nl"  # the invitee's e-mails in their language
