"""The portal's test kit: fake owning services behind one `httpx.MockTransport` (they answer
as identity, subscriptions and seats do, from a few dicts), and the portal on a SQLite file of
the test's own, on a fixed clock, signed in or not."""

from __future__ import annotations

import json
import re
from collections.abc import AsyncIterator, Callable
from dataclasses import dataclass, field
from datetime import timedelta
from typing import Any

import httpx
import pytest

from contracts.testing import T0
from portal.app import build
from portal.settings import PortalSettings
from servicekit.clock import FixedClock
from servicekit.http.auth import Caller, issue_token, verify_token
from servicekit.settings import DEV_TOKEN_SECRET

ADA = Caller(person_id="p-ada", account_id="a-1", email="ada@example.com", name="Ada", locale="en")
EVE = Caller(person_id="p-eve", account_id="a-eve", email="eve@example.com", name="Eve", locale="en")
PASSWORD = "Correct-Horse-9"
TERM_END = "2027-01-05T09:00:00Z"


def subscription(sid: str, admin: Caller, status: str = "active", **fields: Any) -> dict[str, Any]:
    """A subscription as subscriptions' `SubscriptionView` shows it."""
    return {
        "id": sid,
        "account_id": admin.account_id,
        "administrator_id": admin.person_id,
        "product": "designer",
        "tier": "standard",
        "licence_type": "named_user",
        "billing_cycle": "annual",
        "scheduled_billing_cycle": None,
        "quantity": 1200,
        "unit_price": {"amount_minor": 36500, "currency": "EUR"},
        "status": status,
        "ordered_at": "2026-01-05T09:00:00Z",
        "activation_deadline": "2026-04-05T09:00:00Z",
        "term_start": "2026-01-05T09:00:00Z",
        "term_end": TERM_END,
        "term_ends_on": None,
        "cancels_at": None,
        "grace_ends_at": None,
        "trial_ends_at": None,
        "ended_at": None,
        "ended_reason": None,
        "po_number": None,
        "payment_method": None,
        "next_payment_method": None,
        "project_id": None,
        "addons": [],
        **fields,
    }


def problem(status: int, code: str, message: str) -> httpx.Response:
    return httpx.Response(status, json={"code": code, "message": message, "rule": None})


Route = Callable[[httpx.Request, Caller | None, "re.Match[str]"], httpx.Response]


@dataclass
class FakeServices:
    """identity, subscriptions and seats, as far as the portal's pages call them. A page's
    tests add the routes their pages call with `fakes.route(service, method, pattern)`
    (a regular expression over the path); those are tried before the built-in ones."""

    clock: FixedClock
    people: dict[str, tuple[str, Caller]] = field(default_factory=dict)  # e-mail → (password, person)
    subscriptions: dict[str, dict[str, Any]] = field(default_factory=dict)
    pools: dict[str, str] = field(default_factory=dict)  # subscription id → seats' pool status
    verification_tokens: dict[str, str] = field(default_factory=dict)  # token → pending | used
    requests: list[httpx.Request] = field(default_factory=list)
    ended_sessions: set[str] = field(default_factory=set)
    answers: dict[str, httpx.Response] = field(default_factory=dict)  # Idempotency-Key → first answer
    activations: int = 0
    registrations: list[dict[str, Any]] = field(default_factory=list)
    issued: list[str] = field(default_factory=list)  # the access tokens identity issued
    routes: list[tuple[str, str, re.Pattern[str], Route]] = field(default_factory=list)

    def route(self, service: str, method: str, pattern: str) -> Callable[[Route], Route]:
        """Add a fake endpoint: `@fakes.route("seats", "GET", r"/subscriptions/([^/]+)/users")`;
        the handler gets the request, the caller its bearer token names (None: no or a bad
        token) and the path's match."""

        def add(handler: Route) -> Route:
            self.routes.append((service, method, re.compile(pattern), handler))
            return handler

        return add

    def transport(self) -> httpx.MockTransport:
        return httpx.MockTransport(self.handle)

    def calls(self, method: str, path: str) -> list[httpx.Request]:
        return [r for r in self.requests if r.method == method and r.url.path == path]

    def token_for(self, person: Caller) -> str:
        token = issue_token(DEV_TOKEN_SECRET, person, self.clock.now(), timedelta(hours=1))
        self.issued.append(token)
        return token

    def end_every_session(self) -> None:
        """As identity does at sign-out: the sessions' tokens stop working everywhere."""
        self.ended_sessions |= {
            str(verify_token(DEV_TOKEN_SECRET, token, self.clock.now()).session_id) for token in self.issued
        }

    def handle(self, request: httpx.Request) -> httpx.Response:
        self.requests.append(request)
        service = request.url.host
        key = request.headers.get("idempotency-key")
        if key is not None and key in self.answers:
            return self.answers[key]
        answer = self._added_route(request, service) or {
            "identity": self.identity,
            "subscriptions": self.subscriptions_api,
            "seats": self.seats,
        }.get(service, self.nothing)(request)
        if key is not None and answer.is_success:
            self.answers[key] = answer
        return answer

    def _added_route(self, request: httpx.Request, service: str) -> httpx.Response | None:
        for where, method, pattern, handler in self.routes:
            match = pattern.fullmatch(request.url.path)
            if where == service and method == request.method and match:
                return handler(request, self._caller(request), match)
        return None

    def nothing(self, request: httpx.Request) -> httpx.Response:
        return problem(404, "no_such_route", "No such route.")

    def _caller(self, request: httpx.Request) -> Caller | None:
        header = request.headers.get("authorization", "")
        if not header.startswith("Bearer "):
            return None
        try:
            caller = verify_token(DEV_TOKEN_SECRET, header[7:], self.clock.now())
        except Exception:  # noqa: BLE001 - any bad token is a 401 here
            return None
        return None if caller.session_id in self.ended_sessions else caller

    def identity(self, request: httpx.Request) -> httpx.Response:
        body = json.loads(request.content) if request.content else {}
        if (request.method, request.url.path) == ("POST", "/tokens"):
            password, person = self.people.get(body.get("email", ""), ("", None))
            if person is None or body.get("password") != password:
                return problem(401, "bad_credentials", "Unknown e-mail or wrong password.")
            return httpx.Response(200, json={"access_token": self.token_for(person), "expires_in": 3600})
        if (request.method, request.url.path) == ("POST", "/sessions/current/sign-out"):
            caller = self._caller(request)
            if caller is None:
                return problem(401, "unauthenticated", "Sign in.")
            self.ended_sessions.add(str(caller.session_id))
            return httpx.Response(200, json={"session_id": caller.session_id, "signed_out_at": "2026-01-05T09:00:00Z"})
        if (request.method, request.url.path) == ("POST", "/accounts"):
            if not body.get("accept_terms"):
                return problem(422, "terms_not_accepted", "Accept the terms of use (R1).")
            self.registrations.append(body)
            return httpx.Response(201, json={"person_id": "p-new", "email_verified": False, "account_id": "a-new"})
        if (request.method, request.url.path) == ("POST", "/verifications"):
            state = self.verification_tokens.get(body.get("token", ""))
            if state is None:
                return problem(404, "link_not_found", "This verification link is not valid (R1).")
            if state == "used":
                return problem(409, "link_already_used", "This verification link was already used (R1).")
            self.verification_tokens[body["token"]] = "used"
            return httpx.Response(200, json={"person_id": "p-new", "email_verified": True, "event_ids": []})
        return problem(404, "no_such_route", "No such route.")

    def subscriptions_api(self, request: httpx.Request) -> httpx.Response:
        caller = self._caller(request)
        if caller is None:
            return problem(401, "unauthenticated", "Sign in.")
        path = request.url.path
        if request.method == "GET" and path == "/subscriptions":
            mine = [
                s
                for s in self.subscriptions.values()
                if s["administrator_id"] == caller.person_id and s["account_id"] == caller.account_id
            ]
            return httpx.Response(200, json=mine)
        match = re.fullmatch(r"/subscriptions/([^/]+)(/agreement|/activation)?", path)
        found = self.subscriptions.get(match.group(1)) if match else None
        if (
            match is None
            or found is None
            or found["administrator_id"] != caller.person_id
            or found["account_id"] != caller.account_id
        ):
            return problem(404, "subscription_not_found", "No such subscription.")
        if request.method == "GET" and match.group(2) is None:
            return httpx.Response(200, json=found)
        if request.method == "GET" and match.group(2) == "/agreement":
            return httpx.Response(
                200,
                json={
                    "subscription_id": found["id"],
                    "status": found["status"],
                    "accept_by": found["activation_deadline"],
                    "text": f"Licence agreement for {found['quantity']} named_user seat(s) of designer standard.",
                    "accept": {"method": "POST", "path": f"/subscriptions/{found['id']}/activation"},
                },
            )
        if request.method == "POST" and match.group(2) == "/activation":
            if found["status"] != "pending_activation":
                return problem(409, "not_pending_activation", "This subscription is not waiting for its agreement.")
            found["status"] = "active"
            self.activations += 1
            return httpx.Response(200, json={**found, "event_ids": ["e-1"]})
        return problem(404, "no_such_route", "No such route.")

    def seats(self, request: httpx.Request) -> httpx.Response:
        if self._caller(request) is None:
            return problem(401, "unauthenticated", "Sign in.")
        match = re.fullmatch(r"/subscriptions/([^/]+)/seats", request.url.path)
        status = self.pools.get(match.group(1)) if match else None
        if status is None:
            return problem(404, "pool_not_found", "No such pool.")
        return httpx.Response(200, json={"subscription_id": match.group(1) if match else "", "status": status})


@pytest.fixture
def clock() -> FixedClock:
    return FixedClock(T0)


@pytest.fixture
def fakes(clock) -> FakeServices:
    fakes = FakeServices(clock)
    fakes.people[ADA.email] = (PASSWORD, ADA)
    fakes.people[EVE.email] = (PASSWORD, EVE)
    return fakes


@pytest.fixture
def settings(tmp_path) -> PortalSettings:
    return PortalSettings(
        database_url=f"sqlite+aiosqlite:///{tmp_path}/portal.db",
        var_dir=str(tmp_path),
        identity_url="http://identity",
        subscriptions_url="http://subscriptions",
        seats_url="http://seats",
        notifications_url="http://notifications",
        billing_url="http://billing",
        portal_url="http://portal.test",
        cookie_secure=True,
    )


class Portal(httpx.AsyncClient):
    """A browser on the portal: it keeps its cookies, and reads the forms' hidden fields."""

    fakes: FakeServices

    async def form_fields(self, path: str) -> dict[str, str]:
        page = await self.get(path)
        assert page.status_code == 200, page.text
        return hidden_fields(page.text)

    async def sign_in(self, person: Caller = ADA, password: str = PASSWORD) -> httpx.Response:
        fields = await self.form_fields("/sign-in")
        return await self.post(
            "/sign-in", data={"csrf_token": fields["csrf_token"], "email": person.email, "password": password}
        )


def hidden_fields(html: str) -> dict[str, str]:
    return dict(re.findall(r'<input type="hidden" name="([a-z_]+)" value="([^"]*)">', html))


@pytest.fixture
async def portal(settings, clock, fakes) -> AsyncIterator[Portal]:
    """The portal's app in process (https, as behind TLS: the cookie is Secure)."""
    runtime = build(settings, clock=clock, transport=fakes.transport())
    await runtime.migrate()
    assert runtime.app is not None
    client = Portal(transport=httpx.ASGITransport(app=runtime.app), base_url="https://portal.test")
    client.fakes = fakes
    async with client:
        yield client
    await runtime.upstream.aclose()
    await runtime.db.dispose()
