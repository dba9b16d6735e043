"""The identity service over HTTP (in process, SQLite, a fixed clock, no broker): registration
and verification (R1), sign-in limits, sessions, accounts and contacts (R2-R5)."""

from __future__ import annotations

import json
import logging
from datetime import timedelta
from urllib.parse import parse_qs, urlsplit

import httpx
import pytest

from contracts.testing import T0
from servicekit.clock import SharedTestClock

NOW = T0  # as in conftest.py

PASSWORD = "Correct-Horse-9"
OPERATOR = {"X-Operator-Token": "op-secret"}


@pytest.fixture
async def service(driver_of):
    return (await driver_of(operator_token="op-secret", portal_url="http://id.test")).from_()


async def published(service, event_type: str) -> list[dict]:
    return await service.driver.published(event_type)


async def register(service, email="ada@example.com", company="Acme", **extra) -> dict:
    body = {"email": email, "password": PASSWORD, "name": "Ada Admin", "accept_terms": True, **extra}
    if company:
        body["company_name"] = company
    answer = await service.post("/accounts" if company else "/people", json=body)
    assert answer.status_code == 201, answer.text
    return answer.json()


async def latest_token(service, person_id: str) -> str:
    requests = [
        e for e in await published(service, "identity.verification_email_requested") if e["subject"] == person_id
    ]
    return parse_qs(urlsplit(requests[-1]["data"]["verify_url"]).query)["token"][0]


async def sign_in(service, email="ada@example.com", password=PASSWORD, **extra) -> httpx.Response:
    return await service.post("/tokens", json={"email": email, "password": password, **extra})


async def signed_in(service, email="ada@example.com", company="Acme") -> tuple[dict, dict]:
    """Registered, verified and signed in: (registration answer, auth headers)."""
    registered = await register(service, email, company)
    await service.post("/verifications", json={"token": await latest_token(service, registered["person_id"])})
    token = (await sign_in(service, email)).json()["access_token"]
    return registered, {"Authorization": f"Bearer {token}"}


async def test_R1_register_verify_by_link_then_sign_in(service):
    registered = await register(service)
    assert registered["email_verified"] is False
    refused = await sign_in(service)
    assert (refused.status_code, refused.json()["rule"]) == (403, "R1")

    token = await latest_token(service, registered["person_id"])
    clicked = await service.get("/verifications", params={"token": token})
    assert clicked.status_code == 200 and clicked.json()["email_verified"] is True
    again = await service.post("/verifications", json={"token": token})
    assert (again.status_code, again.json()["code"]) == (409, "link_already_used")
    assert (await sign_in(service)).status_code == 200
    types = [e["type"] for e in await published(service, "identity.person_registered")]
    assert types and await published(service, "identity.email_verified")


async def test_R1_registration_without_accepting_the_terms_is_refused(service):
    answer = await service.post(
        "/accounts", json={"email": "ada@example.com", "password": PASSWORD, "name": "Ada", "company_name": "Acme"}
    )
    assert (answer.status_code, answer.json()["rule"]) == (422, "R1")


async def test_R1_an_expired_link_is_refused_and_a_new_one_can_be_asked_for(service, clock):
    registered = await register(service)
    old = await latest_token(service, registered["person_id"])
    clock.advance(timedelta(hours=49))
    expired = await service.post("/verifications", json={"token": old})
    assert (expired.status_code, expired.json()["code"]) == (409, "link_expired")

    for email in ("ada@example.com", "nobody@example.com"):  # the same answer either way
        answer = await service.post("/verifications/resend", json={"email": email})
        assert answer.status_code == 202
    assert len(await published(service, "identity.verification_email_requested")) == 2
    fresh = await latest_token(service, registered["person_id"])
    assert (await service.post("/verifications", json={"token": fresh})).status_code == 200


async def test_R1_repeated_failed_sign_ins_answer_429_with_a_growing_retry_after(service, clock):
    await signed_in(service)
    for _ in range(5):
        assert (await sign_in(service, password="wrong")).status_code == 401
    blocked = await sign_in(service)
    assert (blocked.status_code, blocked.headers["Retry-After"]) == (429, "30")

    clock.advance(timedelta(seconds=30))
    assert (await sign_in(service, password="wrong")).status_code == 401
    assert (await sign_in(service)).headers["Retry-After"] == "60"
    clock.advance(timedelta(seconds=60))
    assert (await sign_in(service)).status_code == 200  # and the count starts again
    assert (await sign_in(service, password="wrong")).status_code == 401
    assert (await sign_in(service)).status_code == 200


async def test_no_password_token_or_hash_reaches_a_log_line_or_a_public_event(service, caplog):
    caplog.set_level(logging.INFO)  # the services' level; their own loggers at DEBUG
    for ours in ("identity", "servicekit", "uvicorn", "fastapi"):
        caplog.set_level(logging.DEBUG, logger=ours)
    registered = await register(service)
    token = await latest_token(service, registered["person_id"])
    await service.get("/verifications", params={"token": token})
    await sign_in(service, password="Wrong-Horse-1")
    access = (await sign_in(service)).json()["access_token"]
    logging.getLogger("uvicorn.access").info(
        '%s - "%s %s HTTP/%s" %d', "127.0.0.1", "GET", f"/verifications?token={token}", "1.1", 200
    )
    service_lines = "\n".join(r.getMessage() for r in caplog.records if r.name != "httpx")  # not the test client
    public = [
        e
        for t in ("person_registered", "email_verified", "account_registered")
        for e in await published(service, f"identity.{t}")
    ]
    for secret in (PASSWORD, "Wrong-Horse-1", token, access, "$argon2id$"):
        assert secret not in service_lines
        assert all(secret not in json.dumps(e) for e in public)
    assert "token=[redacted]" in service_lines


async def test_R2_switch_to_another_account_and_list_mine(service):
    acme, ada = await signed_in(service)
    _, bob = await signed_in(service, "bob@example.com", "Globex")
    globex = (await service.get("/me/accounts", headers=bob)).json()[0]["account_id"]
    added = await service.post(
        f"/accounts/{globex}/contacts",
        headers=bob,
        json={"email": "ada@example.com", "first_name": "Ada", "last_name": "Admin"},
    )
    assert added.json()["status"] == "linked"

    mine = (await service.get("/me/accounts", headers=ada)).json()
    assert {(m["account_id"], m["role"], m["acting_for"]) for m in mine} == {
        (acme["account_id"], "administrator", True),
        (globex, "member", False),
    }
    assert (await service.get(f"/accounts/{globex}", headers=ada)).status_code == 404
    switched = await service.post("/tokens/switch", json={"account_id": globex}, headers=ada)
    as_globex = {"Authorization": f"Bearer {switched.json()['access_token']}"}
    assert (await service.get(f"/accounts/{globex}", headers=as_globex)).json()["company_name"] == "Globex"
    stranger = await service.post("/tokens/switch", json={"account_id": "a-unknown"}, headers=ada)
    assert (stranger.status_code, stranger.json()["rule"]) == (403, "R2")


async def test_R4_an_invited_contact_becomes_a_member_when_they_register(service):
    acme, ada = await signed_in(service)
    account_id = acme["account_id"]
    invited = await service.post(
        f"/accounts/{account_id}/contacts",
        headers=ada,
        json={"email": "Cy@Example.com", "first_name": "Cy", "last_name": "Clerk"},
    )
    assert invited.status_code == 201 and invited.json()["status"] == "invited"
    [added] = await published(service, "identity.contact_added")
    assert (added["subject"], added["data"]["linked"]) == (account_id, False)
    assert added["data"]["register_url"] == "http://id.test/people/registration?email=cy%40example.com"

    await signed_in(service, "cy@example.com", company=None)
    contacts = (await service.get(f"/accounts/{account_id}/contacts", headers=ada)).json()
    assert {(c["email"], c["status"]) for c in contacts} == {
        ("ada@example.com", "linked"),
        ("cy@example.com", "linked"),
    }
    cy = await sign_in(service, "cy@example.com")
    assert cy.status_code == 200


async def test_R4_a_contact_needs_first_and_last_name_and_only_administrators_add(service):
    acme, ada = await signed_in(service)
    url = f"/accounts/{acme['account_id']}/contacts"
    nameless = await service.post(url, headers=ada, json={"email": "x@example.com", "first_name": "X", "last_name": ""})
    assert (nameless.status_code, nameless.json()["rule"]) == (422, "R4")


async def test_R5_deleting_a_contact_is_refused(service):
    acme, ada = await signed_in(service)
    url = f"/accounts/{acme['account_id']}/contacts"
    [me] = (await service.get(url, headers=ada)).json()
    refused = await service.delete(f"{url}/{me['contact_id']}", headers=ada)
    assert (refused.status_code, refused.json()["rule"]) == (409, "R5")
    assert "unassign them from their licences instead" in refused.json()["message"]


async def test_R3_pending_until_an_operator_accepts_the_documents(service):
    acme, ada = await signed_in(service)
    account_url = f"/accounts/{acme['account_id']}"
    account = (await service.get(account_url, headers=ada)).json()
    assert (account["status"], account["verification_deadline"]) == (
        "pending_verification",
        (NOW + timedelta(days=60)).isoformat().replace("+00:00", "Z"),
    )
    assert (await service.post(f"/ops{account_url}/verification")).status_code == 403
    assert (await service.post(f"/ops{account_url}/verification", headers=OPERATOR)).status_code == 200
    assert (await service.get(account_url, headers=ada)).json()["status"] == "verified"
    assert await published(service, "identity.account_verified")
    assert await service.driver.pending_jobs() == []  # the deadline is cancelled


async def test_R3_an_account_still_pending_after_60_days_lapses(service, clock):
    acme, _ = await signed_in(service)
    clock.advance(timedelta(days=61))
    assert await service.driver.runtime.scheduler.fire_due() == 1
    [lapsed] = await published(service, "identity.account_verification_lapsed")
    assert (lapsed["subject"], lapsed["data"]["administrator"]["email"]) == (acme["account_id"], "ada@example.com")
    token = (await sign_in(service)).json()["access_token"]
    account = await service.get(f"/accounts/{acme['account_id']}", headers={"Authorization": f"Bearer {token}"})
    assert account.json()["status"] == "verification_lapsed"


async def test_sign_out_ends_the_session_here_at_once(service):
    _, ada = await signed_in(service)
    ended = await service.post("/sessions/current/sign-out", headers=ada)
    assert ended.status_code == 200
    [signed_out] = await published(service, "identity.signed_out")
    assert signed_out["data"]["session_id"] == ended.json()["session_id"]
    assert (await service.get("/me/accounts", headers=ada)).status_code == 401


async def test_R1_only_a_test_stack_shows_pending_links(service, driver_of, tmp_path):
    assert (
        await service.get("/ops/verification-links", params={"email": "a@example.com"}, headers=OPERATOR)
    ).status_code == 404  # no such route here
    clock_file = tmp_path / "clock.json"
    SharedTestClock(clock_file).set_frozen(NOW)
    stack = (await driver_of(clock=SharedTestClock(clock_file))).from_()
    await register(stack, "new@example.com")
    link = await stack.get("/ops/verification-links", params={"email": "new@example.com"})
    # No public URL on a test stack: the service's own configured address, never the Host asked.
    assert link.json()["verify_url"].startswith("http://127.0.0.1:8100/verifications?token=")
