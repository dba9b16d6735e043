"""Offline verification: signature, type, times, product, fingerprint, keys, clock rollback."""

from __future__ import annotations

import base64
import json
import os
import stat
from datetime import UTC, datetime, timedelta

import httpx
import pytest

from entitle_client import (
    BadSignature,
    ClockGuard,
    ClockRollback,
    Expired,
    KeyStore,
    Malformed,
    NotYetValid,
    UnknownKey,
    Verifier,
    WrongFingerprint,
    WrongProduct,
)
from entitle_client.cache import Cache
from entitle_client.testing import TestIssuer, b64url
from entitle_client.verify import unwrap_licence_file, wrap_licence_file

NOW = datetime(2026, 3, 1, 9, 0, tzinfo=UTC)


class Clock:
    def __init__(self, at: datetime = NOW) -> None:
        self.at = at

    def now(self) -> datetime:
        return self.at


@pytest.fixture
def issuer() -> TestIssuer:
    return TestIssuer(kid="k1")


@pytest.fixture
def verifier(issuer: TestIssuer) -> Verifier:
    return Verifier(issuer.jwks, clock=Clock())


def test_a_valid_entitlement_is_structured(issuer: TestIssuer, verifier: Verifier) -> None:
    token = issuer.issue(
        now=NOW, tier="enterprise", modules=["core", "render"], add_ons=["cloud"], limits={"projects": 10}
    )
    found = verifier.verify(token, product="designer")
    assert (found.product, found.tier, found.licence_type) == ("designer", "enterprise", "named_user")
    assert found.modules == ("core", "render") and found.has_module("render") and not found.has_module("x")
    assert found.add_ons == ("cloud",) and found.limits == {"projects": 10}
    assert found.not_after == NOW + timedelta(days=7) and found.issued_at == NOW
    assert found.key_id == "k1" and found.token == token


def test_forged_entitlements_are_refused(issuer: TestIssuer, verifier: Verifier) -> None:
    token = issuer.issue(now=NOW)
    header, payload, signature = token.split(".")
    claims = json.loads(b64url_decode(payload))
    claims["tier"] = "enterprise"
    altered = f"{header}.{b64url(json.dumps(claims).encode())}.{signature}"
    with pytest.raises(BadSignature):
        verifier.verify(altered)
    impostor = TestIssuer(kid="k1")  # same key id, another key
    with pytest.raises(BadSignature):
        verifier.verify(impostor.issue(now=NOW))
    with pytest.raises(Malformed):  # a character outside base64url is not skipped
        verifier.verify(f"{header}.{payload}.{signature[:-2]}!{signature[-1]}")


def test_only_eddsa_and_the_entitlement_type_are_accepted(issuer: TestIssuer, verifier: Verifier) -> None:
    claims = issuer.claims(now=NOW)
    for header in (
        {"alg": "none", "typ": "entitle-entitlement+jwt", "kid": "k1"},
        {"alg": "HS256", "typ": "entitle-entitlement+jwt", "kid": "k1"},
        {"alg": "EdDSA", "typ": "JWT", "kid": "k1"},
        {"alg": "EdDSA", "typ": "entitle-entitlement+jwt"},
    ):
        with pytest.raises(Malformed):
            verifier.verify(issuer.sign(claims, header))
    with pytest.raises(Malformed):
        verifier.verify(issuer.sign(claims | {"iss": "someone-else"}))
    for nonsense in ("", "a.b", "a.b.c.d", "x" * 20_000):
        with pytest.raises(Malformed):
            verifier.verify(nonsense)


def test_expired_and_not_yet_valid_are_refused_beyond_the_leeway(issuer: TestIssuer) -> None:
    clock = Clock()
    verifier = Verifier(issuer.jwks, clock=clock, leeway=timedelta(seconds=60))
    token = issuer.issue(now=NOW, lifetime=timedelta(hours=1))
    clock.at = NOW + timedelta(hours=1, seconds=59)
    assert verifier.verify(token).product == "designer"  # within the leeway
    clock.at = NOW + timedelta(hours=1, seconds=61)
    with pytest.raises(Expired):
        verifier.verify(token)
    clock.at = NOW - timedelta(minutes=2)
    with pytest.raises(NotYetValid):
        verifier.verify(token)


def test_another_products_entitlement_is_refused(issuer: TestIssuer, verifier: Verifier) -> None:
    with pytest.raises(WrongProduct):
        verifier.verify(issuer.issue(now=NOW, product="viewer"), product="designer")


def test_R27_a_licence_file_is_bound_to_its_machine(issuer: TestIssuer, verifier: Verifier) -> None:
    text = issuer.licence_file("a" * 64, now=NOW, lifetime=timedelta(days=375))
    assert text.startswith("-----BEGIN ENTITLE LICENCE FILE-----\n")
    assert all(len(line) <= 64 for line in text.splitlines()[1:-1])
    found = verifier.verify_licence_file(text, fingerprint="a" * 64, product="designer")
    assert found.device == "a" * 64 and found.licence_type == "node_locked" and found.activation_key_id == "key-1"
    with pytest.raises(WrongFingerprint):
        verifier.verify_licence_file(text, fingerprint="b" * 64, product="designer")
    with pytest.raises(WrongFingerprint):  # an entitlement bound to no device is no licence file
        verifier.verify_licence_file(wrap_licence_file(issuer.issue(now=NOW)), fingerprint="a" * 64)
    with pytest.raises(Malformed):
        unwrap_licence_file("just text")


def test_an_unknown_key_is_refused_offline(issuer: TestIssuer, verifier: Verifier) -> None:
    with pytest.raises(UnknownKey):
        verifier.verify(TestIssuer(kid="k2").issue(now=NOW))


def test_an_unknown_key_is_fetched_again_online_and_cached(issuer: TestIssuer, tmp_path) -> None:
    rotated = TestIssuer(kid="k2")
    published = {"keys": [rotated.jwk, issuer.jwk]}
    fetched: list[str] = []

    def seats(request: httpx.Request) -> httpx.Response:
        fetched.append(request.url.path)
        return httpx.Response(200, json=published)

    clock = Clock()
    http = httpx.Client(transport=httpx.MockTransport(seats))
    keys = KeyStore(issuer.jwks, seats_url="http://seats.test", http=http, cache=Cache(tmp_path), clock=clock)
    verifier = Verifier(keys, clock=clock)
    assert verifier.verify(issuer.issue(now=NOW)).key_id == "k1" and fetched == []
    assert verifier.verify(rotated.issue(now=NOW)).key_id == "k2"  # key rotation: both verify
    assert fetched == ["/.well-known/jwks.json"]
    with pytest.raises(UnknownKey):  # a forged kid does not make it fetch again at once
        verifier.verify(TestIssuer(kid="k3").issue(now=NOW))
    assert len(fetched) == 1
    offline = Verifier(KeyStore(cache=Cache(tmp_path)), clock=clock)  # a later start, with no network
    assert offline.verify(rotated.issue(now=NOW)).key_id == "k2"
    assert stat.S_IMODE(os.stat(tmp_path / "jwks.json").st_mode) == 0o600


def test_a_clock_turned_back_is_refused_offline(issuer: TestIssuer, tmp_path) -> None:
    clock = Clock()
    guard = ClockGuard(Cache(tmp_path), tolerance=timedelta(minutes=10))
    verifier = Verifier(issuer.jwks, clock=clock, guard=guard)
    token = issuer.issue(now=NOW, lifetime=timedelta(days=7))
    verifier.verify(token)  # its iat is now the latest time seen
    clock.at = NOW + timedelta(days=3)
    later = issuer.issue(now=clock.at, lifetime=timedelta(days=7))
    verifier.verify(later)
    clock.at = NOW + timedelta(days=3) - timedelta(minutes=11)  # turned back past the tolerance
    with pytest.raises(ClockRollback):
        verifier.verify(token)
    restarted = Verifier(issuer.jwks, clock=clock, guard=ClockGuard(Cache(tmp_path)))  # remembered on disk
    with pytest.raises(ClockRollback):
        restarted.verify(token)
    clock.at = NOW + timedelta(days=3) - timedelta(minutes=5)  # ordinary drift passes
    assert restarted.verify(token).product == "designer"


def test_the_date_header_of_entitle_counts_as_a_time_seen(tmp_path) -> None:
    guard = ClockGuard(Cache(tmp_path))
    guard.observe_date_header("Sun, 01 Mar 2026 09:00:00 GMT")
    guard.observe_date_header("not a date")
    assert guard.latest_seen == NOW
    guard.check(NOW - timedelta(minutes=5))
    with pytest.raises(ClockRollback):
        guard.check(NOW - timedelta(days=1))


def b64url_decode(text: str) -> bytes:
    return base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))
