"""The company pages: the account and its verification status (R3), its contacts and "Add a
colleague" (R4, R5), the e-mail history (R33), and switching company (R2)."""

from __future__ import annotations

import json
import re
from dataclasses import replace
from types import SimpleNamespace
from typing import Any

import httpx
import pytest

from .conftest import ADA, EVE, hidden_fields, problem

SECOND = "a-2"
BOB = {"person_id": "p-bob", "contact_id": "c-bob"}


def contact(contact_id: str, email: str, first: str, last: str, person_id: str | None, role: str = "member"):
    """A contact as identity's `ContactView` shows it."""
    return {
        "contact_id": contact_id,
        "email": email,
        "first_name": first,
        "last_name": last,
        "locale": "en",
        "role": role,
        "status": "linked" if person_id else "invited",
        "person_id": person_id,
    }


def account(account_id: str, name: str, status: str = "pending_verification") -> dict[str, Any]:
    """An account as identity's `AccountView` shows it."""
    return {
        "account_id": account_id,
        "company_name": name,
        "status": status,
        "registered_at": "2026-01-05T09:00:00Z",
        "verification_deadline": "2026-03-06T09:00:00Z",
        "verified_at": None,
    }


def delivery(email_id: str, recipient_id: str, subject: str, status: str = "sent", **fields: Any) -> dict[str, Any]:
    """An entry of notifications' delivery log (`DeliveryView`)."""
    return {
        "email_id": email_id,
        "template": "agreement",
        "locale": "en",
        "subject": subject,
        "recipient_id": recipient_id,
        "caused_by": f"e-{email_id}",
        "subscription_id": "s-1",
        "status": status,
        "attempts": 1,
        "last_error": None,
        "next_attempt_at": None,
        "sent_at": "2026-01-05T09:00:00Z" if status == "sent" else None,
        "rejected_at": None,
        **fields,
    }


@pytest.fixture
def identity(portal):
    """identity's account routes over dicts, with its rules: only the account the token acts
    for (404 for any other), adding contacts for administrators (403 for members, R4), one
    e-mail once (409), a switch only to an account the person is a member of (403, R2)."""
    fakes = portal.fakes
    accounts = {
        ADA.account_id: account(ADA.account_id, "Ada & Co"),
        SECOND: account(SECOND, "Second BV", "verified"),
        EVE.account_id: account(EVE.account_id, "Eve Ltd"),
    }
    contacts = {
        ADA.account_id: [
            contact("c-ada", ADA.email, "Ada", "Lovelace", ADA.person_id, "administrator"),
            contact(BOB["contact_id"], "bob@example.com", "Bob", "Builder", BOB["person_id"]),
            contact("c-cy", "cy@example.com", "Cy", "Invited", None),
        ],
        SECOND: [contact("c-ada-2", ADA.email, "Ada", "Lovelace", ADA.person_id, "member")],
        EVE.account_id: [contact("c-eve", EVE.email, "Eve", "Spy", EVE.person_id, "administrator")],
    }
    state = SimpleNamespace(accounts=accounts, contacts=contacts, added=[], switches=[])

    def members(caller, account_id):
        return caller is not None and any(c["person_id"] == caller.person_id for c in contacts.get(account_id, []))

    @fakes.route("identity", "GET", r"/accounts/([^/]+)")
    def read(request, caller, match):
        if caller is None:
            return problem(401, "unauthenticated", "Sign in.")
        if match.group(1) != caller.account_id or not members(caller, match.group(1)):
            return problem(404, "account_not_found", "No such account.")
        return httpx.Response(200, json=accounts[match.group(1)])

    @fakes.route("identity", "GET", r"/accounts/([^/]+)/contacts")
    def listed(request, caller, match):
        if caller is None:
            return problem(401, "unauthenticated", "Sign in.")
        if match.group(1) != caller.account_id or not members(caller, match.group(1)):
            return problem(404, "account_not_found", "No such account.")
        return httpx.Response(200, json=contacts[match.group(1)])

    @fakes.route("identity", "POST", r"/accounts/([^/]+)/contacts")
    def add(request, caller, match):
        if caller is None:
            return problem(401, "unauthenticated", "Sign in.")
        account_id = match.group(1)
        if account_id != caller.account_id or not members(caller, account_id):
            return problem(404, "account_not_found", "No such account.")
        me = next(c for c in contacts[account_id] if c["person_id"] == caller.person_id)
        if me["role"] != "administrator":
            return problem(403, "not_an_administrator", "Only an administrator of this account can add contacts (R4).")
        body = json.loads(request.content)
        if any(c["email"] == body["email"] for c in contacts[account_id]):
            return problem(409, "contact_exists", f"{body['email']} is already a contact of this account (R4).")
        state.added.append(body)
        new = {
            **contact(f"c-{len(state.added)}", body["email"], body["first_name"], body["last_name"], None),
            "locale": body["locale"],
        }
        contacts[account_id].append(new)
        return httpx.Response(201, json={**new, "event_ids": ["e-added"]})

    @fakes.route("identity", "GET", r"/me/accounts")
    def mine(request, caller, match):
        if caller is None:
            return problem(401, "unauthenticated", "Sign in.")
        return httpx.Response(
            200,
            json=[
                {
                    "account_id": account_id,
                    "company_name": accounts[account_id]["company_name"],
                    "role": next(c["role"] for c in found if c["person_id"] == caller.person_id),
                    "status": accounts[account_id]["status"],
                    "acting_for": account_id == caller.account_id,
                }
                for account_id, found in contacts.items()
                if members(caller, account_id)
            ],
        )

    @fakes.route("identity", "POST", r"/tokens/switch")
    def switch(request, caller, match):
        if caller is None:
            return problem(401, "unauthenticated", "Sign in.")
        account_id = json.loads(request.content)["account_id"]
        if not members(caller, account_id):
            return problem(403, "not_a_member", f"You are not a contact of account {account_id} (R2).")
        state.switches.append(account_id)
        token = fakes.token_for(replace(caller, account_id=account_id))
        return httpx.Response(
            200, json={"access_token": token, "token_type": "bearer", "expires_in": 3600, "account_id": account_id}
        )

    return state


# -- the company and its contacts ----------------------------------------------------------------


async def test_R3_R4_the_company_page_shows_the_account_its_status_and_its_contacts(portal, identity):
    await portal.sign_in()

    page = await portal.get("/company")

    assert page.status_code == 200
    assert "<h1>Ada &amp; Co</h1>" in page.text
    assert "Pending verification" in page.text and "March 6, 2026" in page.text  # R3: documents due by
    assert "bob@example.com" in page.text and "Invited, not registered yet" in page.text
    assert "Administrator" in page.text
    assert "never deleted" in page.text  # R5
    assert 'action="/company/contacts"' in page.text and '<label for="email">E-mail</label>' in page.text
    assert ">Add colleague</button>" in page.text


async def test_R4_adding_a_colleague_sends_one_command_however_often_the_form_is_sent(portal, identity):
    await portal.sign_in()
    form = hidden_fields((await portal.get("/company")).text)
    typed = {**form, "email": "dee@example.com", "first_name": "Dee", "last_name": "Jones", "locale": "nl"}

    first = await portal.post("/company/contacts", data=typed)
    second = await portal.post("/company/contacts", data=typed)  # a double click

    assert first.status_code == second.status_code == 303
    assert first.headers["location"] == "/company?added=1"
    calls = portal.fakes.calls("POST", f"/accounts/{ADA.account_id}/contacts")
    assert [c.headers["idempotency-key"] for c in calls] == [form["idempotency_key"]] * 2
    assert identity.added == [{"email": "dee@example.com", "first_name": "Dee", "last_name": "Jones", "locale": "nl"}]
    after = await portal.get("/company?added=1")
    assert "Colleague added." in after.text and "dee@example.com" in after.text


async def test_R4_bad_input_shows_the_page_again_with_what_was_typed(portal, identity):
    await portal.sign_in()
    form = hidden_fields((await portal.get("/company")).text)

    answer = await portal.post(
        "/company/contacts",
        data={**form, "email": "not-an-address", "first_name": "Dee", "last_name": "", "locale": "xx"},
    )

    assert answer.status_code == 422
    assert 'role="alert"' in answer.text
    assert "Enter an e-mail address" in answer.text and "Enter a last name" in answer.text
    assert 'value="not-an-address"' in answer.text and 'value="Dee"' in answer.text
    assert portal.fakes.calls("POST", f"/accounts/{ADA.account_id}/contacts") == []
    long = await portal.post(
        "/company/contacts",
        data={**form, "email": "a@b.co", "first_name": "x" * 5000, "last_name": "Y", "locale": "en"},
    )
    assert long.status_code == 422 and "x" * 101 not in long.text


async def test_R4_identity_s_refusal_is_shown_on_the_page(portal, identity):
    await portal.sign_in()
    form = hidden_fields((await portal.get("/company")).text)

    answer = await portal.post(
        "/company/contacts",
        data={**form, "email": "bob@example.com", "first_name": "Bob", "last_name": "Again", "locale": "en"},
    )

    assert answer.status_code == 409
    assert "This e-mail address is already a contact of the company." in answer.text
    assert 'value="Again"' in answer.text


async def test_R4_a_member_sees_the_contacts_but_no_add_form(portal, identity):
    identity.contacts[ADA.account_id][0]["role"] = "member"
    await portal.sign_in()

    page = await portal.get("/company")

    assert page.status_code == 200 and "bob@example.com" in page.text
    assert 'action="/company/contacts"' not in page.text


async def test_adding_without_the_rendered_key_or_csrf_sends_nothing(portal, identity):
    await portal.sign_in()
    form = hidden_fields((await portal.get("/company")).text)
    typed = {"email": "dee@example.com", "first_name": "Dee", "last_name": "Jones", "locale": "en"}

    no_key = await portal.post("/company/contacts", data={**typed, "csrf_token": form["csrf_token"]})
    no_csrf = await portal.post("/company/contacts", data={**typed, "idempotency_key": form["idempotency_key"]})

    assert no_key.status_code == 404 and no_csrf.status_code == 403
    assert identity.added == []


async def test_signed_out_the_company_pages_send_to_sign_in(portal, identity):
    for path in ("/company", "/company/emails", "/company/switch"):
        answer = await portal.get(path)
        assert answer.status_code == 303 and answer.headers["location"].startswith("/sign-in?next=")


async def test_R2_an_account_the_token_does_not_act_for_is_not_found(portal, identity):
    """The session acts for a company the person has left meanwhile: identity answers 404."""
    await portal.sign_in(EVE)
    identity.contacts[EVE.account_id] = []

    page = await portal.get("/company")

    assert page.status_code == 404 and "<h1>Not found</h1>" in page.text


async def test_the_company_page_renders_in_french(portal, identity):
    await portal.sign_in()
    form = hidden_fields((await portal.get("/company")).text)
    await portal.post("/language", data={"csrf_token": form["csrf_token"], "locale": "fr", "next": "/company"})

    page = await portal.get("/company")

    assert page.status_code == 200 and 'lang="fr"' in page.text
    assert "6 mars 2026" in page.text


# -- the e-mail history (R33) --------------------------------------------------------------------


@pytest.fixture
def deliveries(portal):
    """notifications' log: the caller's own e-mails without a filter, with `recipient` what the
    caller may read of that person's, and with `scope=all` everything the caller may read
    (here: ADA administers s-1, so Bob's and Cy's about it)."""
    log = [
        delivery("m-1", ADA.person_id, "Accept your agreement", sent_at="2026-01-05T09:00:00Z"),
        delivery("m-2", BOB["person_id"], "You have a seat", template="invitation", sent_at="2026-01-06T09:00:00Z"),
        delivery(
            "m-3",
            "c-cy",
            "Join Ada & Co",
            status="rejected",
            rejected_at="2026-01-07T09:00:00Z",
            last_error="550 mailbox unavailable",
        ),
        delivery("m-4", "c-cy", "Still pending", status="pending", attempts=3, next_attempt_at="2026-01-08T09:00:00Z"),
        delivery("m-eve", EVE.person_id, "Eve's secret", subscription_id="s-eve"),
    ]
    readable = {ADA.person_id: {"m-1", "m-2", "m-3", "m-4"}, EVE.person_id: {"m-eve"}}

    @portal.fakes.route("notifications", "GET", r"/deliveries")
    def listed(request, caller, match):
        if caller is None:
            return problem(401, "unauthenticated", "Sign in.")
        mine = readable.get(caller.person_id, set())
        if request.url.params.get("scope") == "all":
            return httpx.Response(200, json=[e for e in log if e["email_id"] in mine])
        recipient = request.url.params.get("recipient") or caller.person_id
        return httpx.Response(200, json=[e for e in log if e["recipient_id"] == recipient and e["email_id"] in mine])

    return log


async def test_R33_the_e_mail_history_shows_what_the_administrator_may_read(portal, identity, deliveries):
    await portal.sign_in()

    page = await portal.get("/company/emails")

    assert page.status_code == 200
    subjects = re.findall(r'<th scope="row" lang="en">([^<]+)</th>', page.text)
    assert subjects == ["Still pending", "Join Ada &amp; Co", "You have a seat", "Accept your agreement"]
    assert "Eve&#39;s secret" not in page.text
    assert "Not delivered" in page.text and "550 mailbox unavailable" in page.text
    assert "Waiting to be sent (attempt 3)" in page.text
    assert "Bob Builder" in page.text and ">You<" in page.text
    [asked] = portal.fakes.calls("GET", "/deliveries")  # one list, whatever the number of contacts
    assert asked.url.params["scope"] == "all"


# -- switching company (R2) ----------------------------------------------------------------------


async def test_R2_the_switch_page_lists_the_person_s_companies(portal, identity):
    await portal.sign_in()

    page = await portal.get("/company/switch")

    assert page.status_code == 200
    assert "Ada &amp; Co" in page.text and "Second BV" in page.text and "Eve Ltd" not in page.text
    assert "You act for this company" in page.text
    assert ">Act for Second BV</button>" in page.text


async def test_R2_switching_holds_the_new_token_in_a_new_session(portal, identity):
    await portal.sign_in()
    before = portal.cookies.get("portal_session")
    form = hidden_fields((await portal.get("/company/switch")).text)

    answer = await portal.post("/company/switch", data={**form, "account_id": SECOND})

    assert answer.status_code == 303 and answer.headers["location"] == "/company"
    assert identity.switches == [SECOND]
    assert portal.cookies.get("portal_session") != before  # a new session
    page = await portal.get("/company")
    assert "<h1>Second BV</h1>" in page.text  # every page now acts for the new company
    assert 'action="/company/contacts"' not in page.text  # a member there
    [last] = portal.fakes.calls("GET", f"/accounts/{SECOND}")
    assert last.headers["authorization"] == f"Bearer {portal.fakes.issued[-1]}"


async def test_R2_switching_to_a_company_one_is_not_a_member_of_is_refused_on_the_page(portal, identity):
    await portal.sign_in()
    form = hidden_fields((await portal.get("/company/switch")).text)

    answer = await portal.post("/company/switch", data={**form, "account_id": EVE.account_id})
    malformed = await portal.post("/company/switch", data={**form, "account_id": "<x>"})

    assert answer.status_code == 403
    assert "You are no longer a contact of this company." in answer.text
    assert malformed.status_code == 404
    assert identity.switches == []
    assert "<h1>Ada &amp; Co</h1>" in (await portal.get("/company")).text  # still acting for the first
