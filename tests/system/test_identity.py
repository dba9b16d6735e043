"""Identity end to end: registration and its verification link (R1), invited contacts who
register (R4, R2), and an account whose documents never came (R3)."""

from __future__ import annotations

import uuid

import pytest

from devkit.client import EntitleClient, EntitleError, eventually
from opskit.topicreader import events_of

PASSWORD = "Correct-Horse-9"


def types_of(stack, topic: str, subject: str) -> list[str]:
    return [e["type"] for e in events_of(stack.config.bootstrap, topic, subject)]


def an_email(who: str) -> str:
    return f"{who}-{uuid.uuid4().hex[:10]}@example.com"


def register(api: EntitleClient, email: str, company: str | None = "Acme") -> dict:
    body = {"email": email, "password": PASSWORD, "name": "Ada Admin", "locale": "en", "accept_terms": True}
    if company is None:
        return api.call("identity", "POST", "/people", body)
    return api.call("identity", "POST", "/accounts", {**body, "company_name": company})


def test_R1_registration_then_the_verification_link_then_sign_in(stack, api):
    email = an_email("ada")
    registered = register(api, email)
    assert registered["email_verified"] is False and "token" not in str(registered)
    with pytest.raises(EntitleError) as refused:
        api.sign_in(email, PASSWORD)
    assert (refused.value.status, refused.value.code, refused.value.rule) == (403, "email_not_verified", "R1")

    assert api.verify_email(email)["email_verified"] is True  # what the person does with the e-mail
    ada = api.sign_in(email, PASSWORD)
    [mine] = ada.call("identity", "GET", "/me/accounts")
    assert (mine["account_id"], mine["status"]) == (registered["account_id"], "pending_verification")
    person = registered["person_id"]
    eventually(
        lambda: {"identity.person_registered", "identity.email_verified"}
        <= set(types_of(stack, "identity.events.v1", person)),
        what="person events published",
    )
    assert "identity.verification_email_requested" in types_of(stack, "identity.internal.v1", person)


def test_R4_R2_R5_an_invited_contact_registers_and_becomes_a_member_and_is_never_deleted(stack, api, customer):
    [acme] = customer.call("identity", "GET", "/me/accounts")
    account_id, email = acme["account_id"], an_email("cy")
    invited = customer.call(
        "identity",
        "POST",
        f"/accounts/{account_id}/contacts",
        {"email": email, "first_name": "Cy", "last_name": "Clerk", "locale": "fr"},
    )
    assert invited["status"] == "invited"
    eventually(
        lambda: "identity.contact_added" in types_of(stack, "identity.events.v1", account_id),
        what="contact_added published",
    )

    register(api, email, company=None)
    assert api.verify_email(email)["email_verified"] is True  # what the person does with the e-mail
    cy = api.sign_in(email, PASSWORD)
    assert [a["account_id"] for a in cy.call("identity", "GET", "/me/accounts")] == [account_id]
    contacts = customer.call("identity", "GET", f"/accounts/{account_id}/contacts")
    assert {c["email"]: c["status"] for c in contacts}[email] == "linked"
    with pytest.raises(EntitleError) as refused:
        customer.call("identity", "DELETE", f"/accounts/{account_id}/contacts/{invited['contact_id']}")
    assert (refused.value.status, refused.value.rule) == (409, "R5")


def test_R3_an_account_without_accepted_documents_lapses_after_60_days(stack, api, customer):
    [acme] = customer.call("identity", "GET", "/me/accounts")
    account_id = acme["account_id"]
    assert customer.call("identity", "GET", f"/accounts/{account_id}")["status"] == "pending_verification"

    api.advance_clock(days=61)
    eventually(
        lambda: customer.call("identity", "GET", f"/accounts/{account_id}")["status"] == "verification_lapsed",
        what="verification lapsed",
    )
    eventually(
        lambda: "identity.account_verification_lapsed" in types_of(stack, "identity.events.v1", account_id),
        what="lapse published",
    )
    verified = api.call("identity", "POST", f"/ops/accounts/{account_id}/verification")
    assert verified["status"] == "verified"  # documents that come late are still accepted
