"""Every HTTP command and query of every service checks the token and who may act (R2, R6).

The routes are read from each service's OpenAPI document, so a route added later is tried too.
Each is called with no token, an expired token, another account's token and the token of a
member of the same account who does not administer the subscription. None may succeed.
"""

from __future__ import annotations

import uuid
from datetime import datetime, timedelta

import httpx
import pytest

from devkit.client import EntitleClient
from devkit.devstack import SERVICES
from servicekit.http.auth import Caller, issue_token
from servicekit.settings import ServiceSettings

# Routes anyone may call, and why.
PUBLIC = {
    "/health",
    "/ready",
    "/accounts",
    "/people",
    "/people/registration",
    "/verifications",
    "/verifications/resend",
    "/tokens",
    "/password-resets",  # a forgotten password: the e-mailed single-use link is the proof
    "/password-resets/completion",
    "/tokens/refresh",  # a desktop's kept sign-in (R42): the refresh token is the proof
    "/oauth/token",  # a product client: its id and secret are the proof (issue 14)
    "/.well-known/jwks.json",  # the public keys products verify entitlements with
}  # registration, sign-in and a password reset come before any token
OPEN_TEMPLATES = ("/import-template.csv", "/import-template.xlsx")  # blank files, no data in them


def authenticated_routes(stack) -> list[tuple[str, str, str, dict]]:
    """(service, method, path, a valid request) of every route that needs a token."""
    routes = []
    for service in SERVICES:
        spec = httpx.get(f"{stack.config.url(service)}/openapi.json").json()
        for path, operations in spec["paths"].items():
            for method, operation in operations.items():
                if path.startswith("/ops/") or path in PUBLIC or path.endswith(OPEN_TEMPLATES):
                    continue
                routes.append((service, method.upper(), path, valid_request(spec, operation)))
    return routes


def valid_request(spec: dict, operation: dict) -> dict:
    """A body and query the route's schema accepts, so that a refusal comes from who asks, not
    from validation (422). `multipart` marks an upload, for which no JSON body can be built."""
    content = operation.get("requestBody", {}).get("content", {})
    query = {
        p["name"]: example(spec, p["schema"])
        for p in operation.get("parameters", [])
        if p["in"] == "query" and p.get("required")
    }
    body = example(spec, content["application/json"]["schema"]) if "application/json" in content else None
    return {"json": body, "params": query, "multipart": bool(content) and body is None}


def example(spec: dict, schema: dict):
    if "$ref" in schema:
        return example(spec, spec["components"]["schemas"][schema["$ref"].rsplit("/", 1)[1]])
    if "anyOf" in schema:
        return example(spec, next(s for s in schema["anyOf"] if s.get("type") != "null"))
    if "enum" in schema:
        return schema["enum"][0]
    kind = schema.get("type")
    if kind == "object":
        return {
            name: example(spec, sub)
            for name, sub in schema.get("properties", {}).items()
            if name in schema.get("required", [])
        }
    if kind == "array":
        return [example(spec, schema.get("items", {}))] * max(schema.get("minItems", 1), 1)
    if kind in ("integer", "number"):
        return max(schema.get("minimum", 1), schema.get("exclusiveMinimum", 0) + 1, 1)
    if kind == "boolean":
        return True
    if schema.get("format") == "date":
        return "2030-06-30"
    if schema.get("format") == "date-time":
        return "2030-06-30T00:00:00Z"
    if schema.get("pattern", "").startswith("^(en"):
        return "en"
    if (
        schema.get("format") == "email"
        or "@" in schema.get("pattern", "")
        or "email" in schema.get("title", "").lower()
    ):
        return "someone@example.com"
    return "x" * max(schema.get("minLength", 1), 1)


def call(stack, service: str, method: str, path: str, request: dict, token: str | None, ids: dict[str, str]) -> int:
    url = stack.config.url(service) + path.format_map(ids)
    headers = {"Authorization": f"Bearer {token}"} if token else {}
    return httpx.request(
        method, url, headers=headers, json=request["json"], params=request["params"], timeout=10
    ).status_code


@pytest.fixture(scope="module")
def owner_and_others(stack):
    """An administrator with a subscription, a stranger, and a plain member of the same account."""
    api = EntitleClient({s: stack.config.url(s) for s in SERVICES})
    owner = api.new_customer("Olga Owner")
    subscription = owner.purchase(quantity=2)
    owner.accept(subscription["id"])
    stranger = api.new_customer("Sam Stranger")
    account_id = owner.call("identity", "GET", "/me/accounts")[0]["account_id"]
    member_email = f"member-{uuid.uuid4().hex[:8]}@example.com"
    owner.call(
        "identity",
        "POST",
        f"/accounts/{account_id}/contacts",
        {"email": member_email, "first_name": "Mia", "last_name": "Member"},
    )
    api.call(
        "identity",
        "POST",
        "/people",
        {"email": member_email, "password": "Correct-Horse-9", "name": "Mia Member", "accept_terms": True},
    )
    api.verify_email(member_email)
    member = api.sign_in(member_email)
    ids = {
        "subscription_id": subscription["id"],
        "account_id": account_id,
        "amendment_id": "a-1",
        "invoice_id": "i-1",
        "import_id": "imp-1",
        "row": "1",
        "user_id": "u-1",
        "lease_id": "l-1",
        "key_id": "k-1",
        "contact_id": "c-1",
        "kind": "student_card",
        "document_id": "d-1",
        "number": "1",
        "sign_in_id": "si-1",
        "client_id": "pc-1",
        "product": "designer",
    }
    return owner, stranger, member, ids


def expired_token(stack, owner: EntitleClient) -> str:
    now = datetime.fromisoformat(owner.call("subscriptions", "GET", "/ops/clock")["now"])
    caller = Caller(person_id="p-x", account_id="a-x", email="x@example.com")
    return issue_token(ServiceSettings().token_secret, caller, now - timedelta(hours=2), timedelta(hours=1))


def test_R6_every_route_refuses_a_missing_or_expired_token(stack, owner_and_others):
    owner, _, _, ids = owner_and_others
    expired = expired_token(stack, owner)
    for service, method, path, body in authenticated_routes(stack):
        for token in (None, expired, "not-a-token"):
            assert call(stack, service, method, path, body, token, ids) == 401, (service, method, path, token)


def test_R2_R6_no_route_lets_another_account_or_a_plain_member_touch_a_subscription(stack, owner_and_others):
    owner, stranger, member, ids = owner_and_others
    scoped = [r for r in authenticated_routes(stack) if "{subscription_id}" in r[2] or "{account_id}" in r[2]]
    assert len(scoped) > 30  # the OpenAPI documents were read
    for service, method, path, body in scoped:
        # A multipart upload has no JSON body to build: its 422 still shows nothing and changes nothing.
        refusals = (403, 404, 422) if body["multipart"] else (403, 404)
        status = call(stack, service, method, path, body, stranger.token, ids)
        assert status in refusals, ("another account", service, method, path, status)
        if "{subscription_id}" in path:
            status = call(stack, service, method, path, body, member.token, ids)
            assert status in refusals, ("a plain member", service, method, path, status)
    # The owner still sees it: the refusals above are about who asks, not a broken route.
    assert owner.subscription(ids["subscription_id"])["status"] == "active"
