"""Tokens, sessions and the HTTP edge over the real stack (issue 11, items 3, 5, 9, 11, 19):
every service is its own process behind uvicorn, events travel through the broker.

- A token forged with the stack's secret but living ten years, or naming no session, is
  refused by every service.
- Signing out at identity ends the session in every service within seconds (identity
  publishes `identity.signed_out`; each service records it and refuses the token).
- A body past the limit is answered 413 by the real server, declared or chunked.
- An Idempotency-Key reused for another verification is refused, not replayed.
"""

from __future__ import annotations

import uuid
from datetime import datetime, timedelta

import httpx
import jwt
import pytest

from devkit.client import EntitleClient, EntitleError, eventually
from devkit.devstack import SERVICES
from servicekit.http.auth import ISSUER
from servicekit.settings import ServiceSettings

# A route of each service that reads the caller's own things.
OWN_THINGS = {
    "identity": "/me/accounts",
    "subscriptions": "/subscriptions",
    "seats": None,
    "notifications": "/deliveries",
    "billing": "/invoices",
}


def own_things(service: str, email: str) -> str:
    return OWN_THINGS[service] or f"/access?product=designer&email={email}"


def status_of(stack, service: str, path: str, token: str) -> int:
    return httpx.get(
        stack.config.url(service) + path, headers={"Authorization": f"Bearer {token}"}, timeout=10
    ).status_code


def stack_now(api: EntitleClient) -> datetime:
    return datetime.fromisoformat(api.call("subscriptions", "GET", "/ops/clock")["now"])


def forged_token(now: datetime, lifetime: timedelta, session: str | None) -> str:
    """Signed with the stack's own secret (a test clock's is the public default): only the
    claims can give it away."""
    claims = {
        "iss": ISSUER,
        "sub": "p-forger",
        "acct": "a-forger",
        "email": "forger@example.com",
        "iat": int(now.timestamp()),
        "exp": int((now + lifetime).timestamp()),
    }
    if session:
        claims["sid"] = session
    return jwt.encode(claims, ServiceSettings().token_secret, algorithm="HS256")


@pytest.mark.parametrize(
    "lifetime, session", [(timedelta(days=3650), None), (timedelta(days=3650), "s-1"), (timedelta(minutes=30), None)]
)
def test_a_forged_long_lived_or_sessionless_token_is_refused_by_every_service(stack, api, lifetime, session):
    token = forged_token(stack_now(api), lifetime, session)
    for service in SERVICES:
        answer = httpx.get(
            stack.config.url(service) + own_things(service, "forger@example.com"),
            headers={"Authorization": f"Bearer {token}"},
            timeout=10,
        )
        assert (answer.status_code, answer.json()["code"]) == (401, "unauthenticated"), (service, answer.text)


def test_R26_signing_out_ends_the_session_in_every_service_within_seconds(stack, api):
    email = f"ada-{uuid.uuid4().hex[:10]}@example.com"
    api.register("Ada's company", email, "Ada Admin")
    api.verify_email(email)
    ada, other_session = api.sign_in(email), api.sign_in(email)
    # Whether a service lets this new customer see anything there is its own rule: what matters
    # is that the token is accepted (not 401) before and refused (401) after.
    for service in SERVICES:
        assert status_of(stack, service, own_things(service, email), ada.token) != 401, service

    ada.call("identity", "POST", "/sessions/current/sign-out")

    for service in SERVICES:
        eventually(
            lambda s=service: status_of(stack, s, own_things(s, email), ada.token) == 401,
            timeout=20,
            what=f"{service} refusing the signed-out token",
        )
        # Only that session ended: the person's other sign-in still works.
        assert status_of(stack, service, own_things(service, email), other_session.token) != 401, service
    refusal = httpx.get(
        stack.config.url("billing") + "/invoices", headers={"Authorization": f"Bearer {ada.token}"}, timeout=10
    ).json()
    assert refusal["code"] == "unauthenticated" and "signed out" in refusal["message"]


def test_a_body_past_the_limit_is_answered_413_by_every_service_declared_or_chunked(stack):
    twenty_mb = b'{"email": "' + b"a" * (20 * 2**20) + b'"}'
    for service in SERVICES:
        declared = httpx.post(
            stack.config.url(service) + "/tokens",
            content=twenty_mb,
            headers={"Content-Type": "application/json"},
            timeout=30,
        )
        assert (declared.status_code, declared.json()["code"]) == (413, "request_too_large"), service

    def chunks():
        yield b'{"email": "'
        for _ in range(40):  # 2.5 MB without a Content-Length
            yield b"a" * (64 * 1024)
        yield b'", "password": "x"}'

    chunked = httpx.post(
        stack.config.url("identity") + "/tokens",
        content=chunks(),
        headers={"Content-Type": "application/json"},
        timeout=30,
    )
    assert (chunked.status_code, chunked.json()["code"]) == (413, "request_too_large")
    assert httpx.get(stack.config.url("identity") + "/health", timeout=10).status_code == 200


def test_deeply_nested_json_is_answered_in_the_projects_error_format(stack):
    nested = b"[" * 200_000 + b"]" * 200_000
    answer = httpx.post(
        stack.config.url("identity") + "/tokens",
        content=nested,
        headers={"Content-Type": "application/json"},
        timeout=30,
    )
    assert (answer.status_code, answer.json()["code"]) == (422, "invalid_request")
    assert set(answer.json()) == {"code", "message", "rule"}


def test_the_key_used_to_verify_one_email_does_not_verify_or_replay_another(stack, api):
    first, second = (f"{who}-{uuid.uuid4().hex[:10]}@example.com" for who in ("ada", "bob"))
    for email in (first, second):
        api.register(f"{email}'s company", email, "Someone")
    tokens = [
        api.call("identity", "GET", f"/ops/verification-links?email={email}")["verify_url"].split("token=", 1)[1]
        for email in (first, second)
    ]
    key = f"verify-{uuid.uuid4()}"

    api.call("identity", "POST", "/verifications", {"token": tokens[0]}, idempotency_key=key)
    with pytest.raises(EntitleError) as reused:
        api.call("identity", "POST", "/verifications", {"token": tokens[1]}, idempotency_key=key)
    assert (reused.value.status, reused.value.code) == (409, "idempotency_key_reused")
    with pytest.raises(EntitleError) as unverified:
        api.sign_in(second)
    assert unverified.value.status == 403  # e-mail 2 was not verified by the refused call

    api.call("identity", "POST", "/verifications", {"token": tokens[1]}, idempotency_key=f"verify-{uuid.uuid4()}")
    assert api.sign_in(second).token


def test_a_key_of_100000_characters_is_refused(stack):
    answer = httpx.post(
        stack.config.url("identity") + "/verifications",
        json={"token": "x"},
        headers={"Idempotency-Key": "k" * 100_000},
        timeout=10,
    )
    assert (answer.status_code, answer.json()["code"]) == (422, "invalid_idempotency_key")
