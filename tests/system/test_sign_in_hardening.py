"""Identity against an attacker, over the real stack (issue 11, items 4, 8 and 14): mailed
links ignore a forged Host header, sign-in slows guessers without locking the owner out,
and registration neither tells who is registered nor lets an unverified squatter keep an
address.

Client addresses are chosen with `X-Forwarded-For`: the services run under uvicorn, which
believes that header from 127.0.0.1 only (`FORWARDED_ALLOW_IPS`), as from a trusted proxy.
Each test uses addresses of its own: the stack, and so the limits, are shared by the session.
"""

from __future__ import annotations

import re
import uuid

import httpx

from devkit.client import EntitleClient, eventually
from devkit.mailbox import read_mailbox
from opskit.topicreader import events_of

PASSWORD = "Correct-Horse-9"


def an_email(who: str) -> str:
    return f"{who}-{uuid.uuid4().hex[:10]}@example.com"


def an_address() -> str:
    """A client address no other test uses (10.x.y.z, from a fresh uuid)."""
    raw = uuid.uuid4().bytes
    return f"10.{raw[0]}.{raw[1]}.{raw[2]}"


def identity(stack, method: str, path: str, json: dict, client: str | None = None, **headers: str) -> httpx.Response:
    if client:
        headers["X-Forwarded-For"] = client
    return httpx.request(method, stack.config.url("identity") + path, json=json, headers=headers, timeout=30)


def sign_in(stack, email: str, password: str, client: str) -> httpx.Response:
    return identity(stack, "POST", "/tokens", {"email": email, "password": password}, client)


def registered_and_verified(api: EntitleClient, email: str) -> dict:
    registered = api.register("Acme", email, "Ada Admin")
    api.verify_email(email)
    return registered


def test_a_resend_with_a_forged_host_header_mails_only_links_to_the_configured_portal(stack, api):
    email = an_email("hosted")
    api.register("Acme", email, "Ada Admin")
    resent = identity(stack, "POST", "/verifications/resend", {"email": email}, Host="evil.example")
    assert resent.status_code == 202

    mails = eventually(
        lambda: (found := [m for m in read_mailbox(stack.config.mail_dir) if m.to == email])
        and len(found) == 2
        and found,
        what="the registration's and the resend's e-mails",
    )
    for mail in mails:
        assert "evil.example" not in mail.text + mail.html
        links = re.findall(r"https?://[^\s\"'<>]+/verifications\?token=", mail.text)
        assert links and all(link.startswith(stack.config.url("portal") + "/") for link in links)


def test_the_owner_signs_in_from_a_clean_address_while_the_guessers_address_is_blocked(stack, api):
    email, guesser, owner = an_email("owner"), an_address(), an_address()
    registered_and_verified(api, email)
    for _ in range(5):
        assert sign_in(stack, email, "Wrong-Horse-1", guesser).status_code == 401
    blocked = sign_in(stack, email, PASSWORD, guesser)
    assert (blocked.status_code, blocked.json()["code"]) == (429, "too_many_sign_in_attempts")
    assert int(blocked.headers["Retry-After"]) > 0

    assert sign_in(stack, email, PASSWORD, owner).status_code == 200
    assert sign_in(stack, email, PASSWORD, guesser).status_code == 429


def test_spraying_one_guess_per_email_from_one_address_answers_429_after_the_per_client_limit(stack, api):
    sprayer, owner_email = an_address(), an_email("sprayed")
    registered_and_verified(api, owner_email)
    for _ in range(20):  # IDENTITY_SIGN_IN_FAILURES_PER_CLIENT: 20 in 15 minutes
        assert sign_in(stack, an_email("victim"), "Summer-2026!", sprayer).status_code == 401
    refused = sign_in(stack, owner_email, PASSWORD, sprayer)
    assert (refused.status_code, refused.json()["code"]) == (429, "sign_in_failures_per_client_exceeded")
    assert 0 < int(refused.headers["Retry-After"]) <= 15 * 60
    assert sign_in(stack, owner_email, PASSWORD, an_address()).status_code == 200


def test_registering_an_existing_address_answers_like_a_new_one_and_the_owner_is_told(stack, api):
    owner_email = an_email("taken")
    owner = registered_and_verified(api, owner_email)
    body = {"company_name": "Mallory Ltd", "password": "Other-Horse-7", "name": "Mallory", "accept_terms": True}
    taken = identity(stack, "POST", "/accounts", {**body, "email": owner_email})
    new = identity(stack, "POST", "/accounts", {**body, "email": an_email("fresh")})
    assert taken.status_code == new.status_code == 201
    assert taken.json().keys() == new.json().keys() == {"account_id", "person_id", "email_verified"}
    assert taken.json()["person_id"] != owner["person_id"]

    [told] = eventually(
        lambda: [
            e
            for e in events_of(stack.config.bootstrap, "identity.internal.v1", owner["person_id"])
            if e["type"] == "identity.registration_attempted"
        ],
        what="registration_attempted published for the owner",
    )
    assert told["data"]["person"]["email"] == owner_email
    assert sign_in(stack, owner_email, PASSWORD, an_address()).status_code == 200
    assert sign_in(stack, owner_email, "Other-Horse-7", an_address()).status_code == 401


def test_an_unverified_registration_does_not_keep_the_address_nor_give_its_company_to_the_owner(stack, api):
    email = an_email("squatted")
    squatter = api.call(
        "identity",
        "POST",
        "/accounts",
        {
            "company_name": "Squat Ltd",
            "email": email,
            "password": "Squatter-Pass-1",
            "name": "Mallory",
            "accept_terms": True,
        },
    )
    owner = api.register("Acme", email, "Ada Admin")
    assert owner["person_id"] == squatter["person_id"]  # one person per mailbox, now with Ada's details
    assert api.verify_email(email)["email_verified"] is True  # whoever reads the mailbox

    assert sign_in(stack, email, "Squatter-Pass-1", an_address()).status_code == 401
    ada = api.sign_in(email, PASSWORD)
    assert [a["company_name"] for a in ada.call("identity", "GET", "/me/accounts")] == ["Acme"]
    eventually(
        lambda: "identity.account_withdrawn"
        in [e["type"] for e in events_of(stack.config.bootstrap, "identity.events.v1", squatter["account_id"])],
        what="the squatter's account withdrawn",
    )
