"""An in-memory Entitle (identity and seats) behind an httpx.MockTransport: the shapes of the
spec (issue 14), no network. Tests read and steer its state directly (fixtures `entitle`,
`client`)."""

from __future__ import annotations

import base64
import json
import secrets
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from email.utils import format_datetime
from typing import Any

import httpx
import pytest

from entitle_client.client import EntitleClient
from entitle_client.testing import TestIssuer, b64url
from entitle_client.verify import wrap_licence_file

IDENTITY = "http://identity.test"
SEATS = "http://seats.test"
TOKEN_TTL = 900
LEASE_TTL = timedelta(hours=1)


class MovableClock:
    def __init__(self, at: datetime | None = None) -> None:
        self.at = at or datetime(2026, 3, 1, 9, 0, tzinfo=UTC)

    def now(self) -> datetime:
        return self.at

    def advance(self, delta: timedelta) -> None:
        self.at += delta


@dataclass
class FakeLease:
    lease_id: str
    product: str
    expires_at: datetime
    acquired_at: datetime
    borrowed_until: datetime | None = None
    released: bool = False


@dataclass
class FakeEntitle:
    clock: MovableClock = field(default_factory=MovableClock)
    issuer: TestIssuer = field(default_factory=lambda: TestIssuer(kid="k1"))
    published: list[TestIssuer] = field(default_factory=list)
    password: str = "right"
    person_id: str = "person-1"
    offline: bool = False
    server_error: bool = False
    allowed: bool = True
    seats_free: int = 1
    lease_answers: list[int] = field(default_factory=list)  # status codes to answer heartbeats with, first first
    access_tokens: set[str] = field(default_factory=set)
    refresh_tokens: dict[str, str] = field(default_factory=dict)  # token -> "live" | "spent"
    sessions_ended: int = 0
    leases: dict[str, FakeLease] = field(default_factory=dict)
    activations: dict[str, str] = field(default_factory=dict)  # key -> fingerprint
    requests: list[httpx.Request] = field(default_factory=list)
    oauth_calls: int = 0

    def __post_init__(self) -> None:
        if not self.published:
            self.published = [self.issuer]

    @property
    def transport(self) -> httpx.MockTransport:
        return httpx.MockTransport(self.handle)

    def http(self) -> httpx.Client:
        return httpx.Client(transport=self.transport)

    def paths(self) -> list[str]:
        return [f"{r.method} {r.url.path}" for r in self.requests]

    # -- the transport -----------------------------------------------------------------------

    def handle(self, request: httpx.Request) -> httpx.Response:
        self.requests.append(request)
        if self.offline:
            raise httpx.ConnectError("network cut", request=request)
        if self.server_error:
            return self._json(503, {"code": "unavailable", "message": "down", "rule": None})
        host = f"{request.url.scheme}://{request.url.host}"
        route = f"{request.method} {request.url.path}"
        body = (
            json.loads(request.content)
            if request.content and request.headers.get("content-type", "").startswith("application/json")
            else {}
        )
        if host == IDENTITY:
            return self._identity(route, request, body)
        return self._seats(route, request, body)

    def _json(self, status: int, body: Any) -> httpx.Response:
        return httpx.Response(status, json=body, headers={"Date": format_datetime(self.clock.now(), usegmt=True)})

    def _refused(self, status: int, code: str, message: str = "refused") -> httpx.Response:
        return self._json(status, {"code": code, "message": message, "rule": None})

    def _authorized(self, request: httpx.Request) -> bool:
        header = request.headers.get("Authorization", "")
        return header.startswith("Bearer ") and header[7:] in self.access_tokens

    def _new_access(self) -> str:
        payload = b64url(json.dumps({"sub": self.person_id, "sid": "s1", "n": secrets.token_hex(4)}).encode())
        token = f"e30.{payload}.sig"
        self.access_tokens.add(token)
        return token

    def _new_refresh(self) -> dict[str, Any]:
        token = secrets.token_urlsafe(16)
        self.refresh_tokens[token] = "live"
        return {"refresh_token": token, "refresh_expires_at": (self.clock.now() + timedelta(days=30)).isoformat()}

    def _identity(self, route: str, request: httpx.Request, body: dict[str, Any]) -> httpx.Response:
        if route == "POST /tokens":
            if body.get("password") != self.password:
                return self._refused(401, "wrong_credentials")
            answer: dict[str, Any] = {
                "access_token": self._new_access(),
                "token_type": "bearer",
                "expires_in": TOKEN_TTL,
            }
            if body.get("keep_signed_in"):
                answer |= self._new_refresh()
            return self._json(200, answer)
        if route == "POST /tokens/refresh":
            state = self.refresh_tokens.get(body.get("refresh_token", ""))
            if state == "spent":  # reuse detection: the whole sign-in ends
                self.refresh_tokens = {k: "spent" for k in self.refresh_tokens}
                self.access_tokens.clear()
                self.sessions_ended += 1
                return self._refused(401, "refresh_token_reused")
            if state != "live":
                return self._refused(401, "unknown_refresh_token")
            self.refresh_tokens[body["refresh_token"]] = "spent"
            return self._json(200, {"access_token": self._new_access(), "expires_in": TOKEN_TTL} | self._new_refresh())
        if route == "POST /sessions/current/sign-out":
            if not self._authorized(request):
                return self._refused(401, "not_signed_in")
            self.access_tokens.clear()
            self.sessions_ended += 1
            for lease in self.leases.values():  # seats' release_session: a borrowed lease stays
                borrowed = lease.borrowed_until is not None and lease.borrowed_until > self.clock.now()
                if not lease.released and not borrowed:
                    lease.released = True
                    self.seats_free += 1
            return self._json(200, {"session_id": "s1", "signed_out_at": self.clock.now().isoformat(), "event_ids": []})
        if route == "POST /oauth/token":
            self.oauth_calls += 1
            basic = request.headers.get("Authorization", "")
            expected = "Basic " + base64.b64encode(b"client-1:secret-1").decode()
            if basic != expected:
                return self._json(401, {"error": "invalid_client", "error_description": "unknown client"})
            token = self._new_access()
            return self._json(200, {"access_token": token, "token_type": "Bearer", "expires_in": 300})
        return self._refused(404, "no_such_route")

    def entitlement(self, product: str, lifetime: timedelta = timedelta(days=7), **extra: Any) -> str:
        return self.issuer.issue(product=product, now=self.clock.now(), lifetime=lifetime, **extra)

    def _seats(self, route: str, request: httpx.Request, body: dict[str, Any]) -> httpx.Response:
        if route == "GET /.well-known/jwks.json":
            return self._json(200, {"keys": [issuer.jwk for issuer in self.published]})
        if not self._authorized(request):
            return self._refused(401, "not_signed_in")
        parts = request.url.path.strip("/").split("/")
        if route == "GET /access":
            product = request.url.params["product"]
            if not self.allowed:
                return self._json(
                    200,
                    {
                        "allowed": False,
                        "reason": "no licence",
                        "tier": None,
                        "licence_type": None,
                        "subscription_id": None,
                        "modules": [],
                        "add_ons": [],
                        "limits": {},
                        "not_after": None,
                        "fallback": None,
                        "entitlement": None,
                    },
                )
            token = None
            if request.url.params.get("signed") == "true":
                token = self.entitlement(product, modules=["core", "render"], add_ons=["cloud"], limits={"projects": 5})
            return self._json(
                200,
                {
                    "allowed": True,
                    "reason": "named seat",
                    "tier": "pro",
                    "licence_type": "named_user",
                    "subscription_id": "sub-1",
                    "modules": ["core", "render"],
                    "add_ons": ["cloud"],
                    "limits": {"projects": 5},
                    "not_after": (self.clock.now() + timedelta(days=7)).isoformat(),
                    "fallback": None,
                    "entitlement": token,
                },
            )
        if request.method == "POST" and parts[0] == "products" and parts[2] == "leases":
            if self.seats_free <= 0:
                return self._refused(409, "no_free_seat", "every seat is in use")
            self.seats_free -= 1
            lease = FakeLease(f"lease-{len(self.leases) + 1}", parts[1], self.clock.now() + LEASE_TTL, self.clock.now())
            self.leases[lease.lease_id] = lease
            return self._json(201, self._lease_view(lease))
        if parts[0] == "leases":
            lease_found = self.leases.get(parts[1])
            if lease_found is None or lease_found.released:
                return self._refused(404, "not_found")
            if request.method == "DELETE":
                lease_found.released = True
                self.seats_free += 1
                return self._json(200, self._lease_view(lease_found))
            if parts[2] == "heartbeat":
                if self.lease_answers:
                    status = self.lease_answers.pop(0)
                    if status == 409:
                        return self._refused(409, "lease_expired", "the seat was taken")
                    if status == 404:
                        return self._refused(404, "not_found")
                    if status == 503:
                        return self._refused(503, "unavailable")
                lease_found.expires_at = self.clock.now() + LEASE_TTL
                return self._json(200, self._lease_view(lease_found))
            if parts[2] == "borrow":
                until = datetime.fromisoformat(body["until"])
                lease_found.borrowed_until = lease_found.expires_at = until
                return self._json(200, self._lease_view(lease_found))
        if request.method == "POST" and parts[0] == "subscriptions" and parts[-1] == "deactivation":
            key = parts[3]
            if key not in {k for k in self.activations} and key != "key-1":
                return self._refused(404, "not_found")
            self.activations.clear()  # the fake has one key, "key-1", whatever its text
            return self._json(200, {"key_id": key, "device_id": None})
        if route == "POST /licence-files":
            key, device = body["key"], body["fingerprint"]
            if self.activations.get(key, device) != device:
                return self._refused(409, "key_in_use", "active on another machine")
            self.activations[key] = device
            token = self.issuer.issue(
                product="designer",
                now=self.clock.now(),
                lifetime=timedelta(days=375),
                licence_type="node_locked",
                device=device,
                key_id="key-1",
            )
            return self._json(200, {"licence_file": wrap_licence_file(token), "product": "designer"})
        return self._refused(404, "no_such_route")

    def _lease_view(self, lease: FakeLease) -> dict[str, Any]:
        expires = lease.expires_at
        token = self.issuer.issue(
            product=lease.product,
            now=self.clock.now(),
            lifetime=expires - self.clock.now(),
            licence_type="floating",
            lease_id=lease.lease_id,
        )
        return {
            "lease_id": lease.lease_id,
            "subscription_id": "sub-1",
            "person_id": self.person_id,
            "session_id": "s1",
            "product": lease.product,
            "acquired_at": lease.acquired_at.isoformat(),
            "expires_at": expires.isoformat(),
            "released_at": None,
            "borrowed_until": lease.borrowed_until.isoformat() if lease.borrowed_until else None,
            "revivable_until": (expires + timedelta(hours=1)).isoformat(),
            "entitlement": token,
            "event_ids": [],
        }


@pytest.fixture
def entitle() -> FakeEntitle:
    return FakeEntitle()


@pytest.fixture
def new_client(entitle: FakeEntitle, tmp_path: Any) -> Any:
    """Makes clients of the fake Entitle sharing one cache directory (a restarted product)."""
    made: list[EntitleClient] = []

    def make(**kwargs: Any) -> EntitleClient:
        kwargs.setdefault("wait", lambda _seconds: True)  # a heartbeat thread, if started, stops at once
        kwargs.setdefault("cache_dir", str(tmp_path / "cache"))
        one = EntitleClient(IDENTITY, SEATS, clock=entitle.clock, http=entitle.http(), **kwargs)
        made.append(one)
        return one

    yield make
    for one in made:
        one.close()


@pytest.fixture
def client(new_client: Any) -> EntitleClient:
    return new_client()
