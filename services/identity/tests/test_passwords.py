"""Forgotten password (R1): a single-use, expiring link by e-mail to the portal, throttled, that
tells nothing about the address; the new password ends every session. And the profile: name and
language (`GET/PATCH /me`), which the next tokens carry."""

from __future__ import annotations

from datetime import timedelta
from urllib.parse import parse_qs, urlsplit

import pytest

from servicekit.http.auth import verify_token

from .test_api import PASSWORD, published, sign_in, signed_in

NEW_PASSWORD = "Another-Horse-42"


@pytest.fixture
async def service(driver_of):
    driver = await driver_of(operator_token="op-secret", portal_url="https://portal.test/")
    return driver.from_()


async def reset_requests(service) -> list[dict]:
    return await published(service, "identity.password_reset_requested")


async def ask(service, email="ada@example.com", client=None) -> None:
    caller = service.driver.from_(client) if client else service
    answer = await caller.post("/password-resets", json={"email": email})
    assert answer.status_code == 202, answer.text


def token_of(request: dict) -> str:
    return parse_qs(urlsplit(request["data"]["reset_url"]).query)["token"][0]


async def complete(service, token: str, password: str = NEW_PASSWORD, **headers: str):
    return await service.post(
        "/password-resets/completion", json={"token": token, "password": password}, headers=headers
    )


async def test_R1_a_reset_link_to_the_portal_sets_a_new_password_once_and_ends_every_session(service):
    _, headers = await signed_in(service)
    other_session = (await sign_in(service)).json()["access_token"]
    await ask(service)
    [request] = await reset_requests(service)
    assert request["data"]["reset_url"].startswith("https://portal.test/password-reset?token=")
    assert request["data"]["expires_at"].startswith("2026-01-05T10:00")  # T0 + one hour

    changed = await complete(service, token_of(request), **{"Idempotency-Key": "reset-key-0000001"})
    assert changed.status_code == 200, changed.text
    assert (changed.json()["password_changed"], changed.json()["sessions_ended"]) == (True, 2)
    replay = await complete(service, token_of(request), **{"Idempotency-Key": "reset-key-0000001"})
    assert replay.json() == changed.json()  # a double submit is one change

    again = await complete(service, token_of(request), "Yet-Another-7!")
    assert (again.status_code, again.json()["code"]) == (409, "reset_link_used")
    assert (await sign_in(service)).status_code == 401  # the old password no longer works
    assert (await sign_in(service, password=NEW_PASSWORD)).status_code == 200
    for token in (headers["Authorization"].split()[1], other_session):
        refused = await service.get("/me", headers={"Authorization": f"Bearer {token}"})
        assert refused.status_code == 401
    ended = await published(service, "identity.signed_out")
    assert len(ended) == 2  # seats releases those sessions' floating leases (R26)


async def test_R1_a_reset_link_expires_after_an_hour(service, clock):
    await signed_in(service)
    await ask(service)
    [request] = await reset_requests(service)
    clock.advance(timedelta(hours=1))
    expired = await complete(service, token_of(request))
    assert (expired.status_code, expired.json()["code"]) == (409, "reset_link_expired")
    assert (await sign_in(service)).status_code == 200  # the password is unchanged


async def test_R1_only_the_latest_link_works_and_an_unknown_one_is_not_found(service):
    await signed_in(service)
    await ask(service)
    await ask(service)
    first, latest = await reset_requests(service)
    replaced = await complete(service, token_of(first))
    assert (replaced.status_code, replaced.json()["code"]) == (409, "reset_link_replaced")
    unknown = await complete(service, "made-up-token")
    assert (unknown.status_code, unknown.json()["code"]) == (404, "reset_link_not_found")
    assert (await complete(service, token_of(latest))).status_code == 200


async def test_R1_a_weak_new_password_is_refused_and_the_link_still_works(service):
    await signed_in(service)
    await ask(service)
    [request] = await reset_requests(service)
    weak = await complete(service, token_of(request), "short")
    assert (weak.status_code, weak.json()["code"], weak.json()["rule"]) == (422, "weak_password", "R1")
    assert (await complete(service, token_of(request))).status_code == 200


async def test_R1_an_unknown_or_unverified_email_is_answered_alike_and_mailed_nothing(service):
    await signed_in(service)
    await service.post(
        "/people", json={"email": "uma@example.com", "password": PASSWORD, "name": "Uma", "accept_terms": True}
    )
    answers = []
    for email in ("ada@example.com", "nobody@example.com", "uma@example.com"):
        answer = await service.post("/password-resets", json={"email": email})
        answers.append((answer.status_code, answer.json()))
    assert answers[0] == answers[1] == answers[2] and answers[0][0] == 202
    [mailed] = await reset_requests(service)  # only Ada, verified, is mailed
    assert mailed["data"]["person"]["email"] == "ada@example.com"


async def test_R1_requests_are_throttled_per_email_silently_and_per_client_address_with_429(service):
    await signed_in(service)
    for _ in range(6):  # the hourly cap of e-mails to one address (one went to verify it)
        await ask(service)
    assert len(await reset_requests(service)) == 4  # 5 an hour, the verification link was one
    for n in range(20 - 6):
        await ask(service, f"someone-{n}@example.com")
    refused = await service.post("/password-resets", json={"email": "ada@example.com"})
    assert refused.status_code == 429 and "Retry-After" in refused.headers
    await ask(service, client="10.0.0.9")  # another client address is not held back


async def test_the_profile_language_and_name_change_and_the_next_token_carries_them(service):
    registered, headers = await signed_in(service)
    me = await service.get("/me", headers=headers)
    assert me.status_code == 200
    assert (me.json()["email"], me.json()["locale"], me.json()["person_id"]) == (
        "ada@example.com",
        "en",
        registered["person_id"],
    )
    changed = await service.patch("/me", json={"locale": "nl", "name": "Ada Byron"}, headers=headers)
    assert (changed.status_code, changed.json()["locale"], changed.json()["name"]) == (200, "nl", "Ada Byron")
    refused = await service.patch("/me", json={"locale": "es"}, headers=headers)
    assert refused.status_code == 422
    token = (await sign_in(service)).json()["access_token"]
    caller = verify_token(service.driver.runtime.authenticator.keys, token, service.driver.runtime.clock.now())
    assert (caller.locale, caller.name) == ("nl", "Ada Byron")
    assert (await service.get("/me")).status_code == 401
