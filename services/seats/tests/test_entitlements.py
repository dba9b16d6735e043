"""Signed entitlements (issue 14): compact JWS signed with Ed25519, verified with the JWKS the
service publishes; forged, expired or unknown-key entitlements are refused; keys rotate without
breaking what an older key signed while it stays listed; the production key setting."""

from __future__ import annotations

import base64
import json
from datetime import timedelta

import httpx
import pytest

from contracts.testing import SUBSCRIPTION_ID
from seats.adapters.signing import (
    DEV_KID,
    DEV_SEED,
    EntitlementSigner,
    InvalidEntitlement,
    b64url,
    key_problems,
    public_keys_of,
    verify,
)
from seats.domain.entitlements import entitlement_of_file, licence_file
from seats.domain.users import NewUser
from seats.handlers import users
from seats.settings import SeatsSettings

from .conftest import T0
from .test_handlers import INVITATIONS, TERM_END, activated, caller, command, purchased
from .test_routes import ANN, auth

SEED_OLD, SEED_NEW = bytes(range(32)), bytes(range(1, 33))


def keys(*pairs: tuple[str, bytes]) -> str:
    return ",".join(f"{kid}:{b64url(seed)}" for kid, seed in pairs)


@pytest.fixture
async def http(seats):
    transport = httpx.ASGITransport(app=seats.runtime.app)
    async with httpx.AsyncClient(transport=transport, base_url="http://seats") as client:
        yield client


async def named_pool_with_ann(seats):
    await seats.deliver(purchased(3), activated(3))
    new = [NewUser(ANN.email, "Ann", "Tester")]
    await command(seats, users.add_users, SUBSCRIPTION_ID, new, True, INVITATIONS, caller())


async def test_an_allowed_answer_signed_verifies_with_the_published_jwks_and_says_the_same(seats, http):
    await named_pool_with_ann(seats)
    jwks = (await http.get("/.well-known/jwks.json")).json()
    assert jwks == {
        "keys": [
            {"kty": "OKP", "crv": "Ed25519", "x": jwks["keys"][0]["x"], "kid": DEV_KID, "use": "sig", "alg": "EdDSA"}
        ]
    }
    answer = (
        await http.get(
            "/access", params={"product": "designer", "email": ANN.email, "signed": "true"}, headers=auth(seats, ANN)
        )
    ).json()
    assert answer["allowed"] is True and answer["entitlement"]
    header = json.loads(base64.urlsafe_b64decode(answer["entitlement"].split(".")[0] + "=="))
    assert header == {"alg": "EdDSA", "typ": "entitle-entitlement+jwt", "kid": DEV_KID}
    claims = verify(answer["entitlement"], public_keys_of(jwks), T0.timestamp())
    assert {k: claims[k] for k in ("iss", "email", "acct", "product", "tier", "licence_type", "subscription_id")} == {
        "iss": "entitle-seats",
        "email": ANN.email,
        "acct": "a-1",
        "product": "designer",
        "tier": answer["tier"],
        "licence_type": "named_user",
        "subscription_id": SUBSCRIPTION_ID,
    }
    assert (claims["modules"], claims["add_ons"], claims["limits"]) == (
        answer["modules"],
        answer["add_ons"],
        answer["limits"],
    )
    assert "lease_id" not in claims and "device" not in claims
    # named: the offline allowance (7 days) within the term
    assert claims["iat"] == claims["nbf"] == int(T0.timestamp())
    assert claims["exp"] == int((T0 + timedelta(days=7)).timestamp())
    unsigned = (
        await http.get("/access", params={"product": "designer", "email": ANN.email}, headers=auth(seats, ANN))
    ).json()
    assert unsigned["entitlement"] is None and unsigned["not_after"] == answer["not_after"]


async def test_a_named_entitlement_never_outlives_the_term(seats, http):
    await named_pool_with_ann(seats)
    seats.clock.advance(TERM_END - T0 - timedelta(days=2))
    answer = (
        await http.get(
            "/access", params={"product": "designer", "email": ANN.email, "signed": "true"}, headers=auth(seats, ANN)
        )
    ).json()
    claims = seats.runtime.app.state.signer.verify(answer["entitlement"], seats.clock.now().timestamp())
    assert claims["exp"] == int(TERM_END.timestamp())


def test_a_forged_an_expired_or_an_unknown_key_entitlement_is_refused():
    signer = EntitlementSigner.from_setting(keys(("k1", SEED_OLD)))
    now = T0.timestamp()
    token = signer.sign({"sub": "p-ann", "tier": "premium", "nbf": int(now), "exp": int(now) + 60})
    assert verify(token, public_keys_of(signer.jwks()), now)["tier"] == "premium"
    header, payload, signature = token.split(".")
    forged_payload = b64url(json.dumps({"sub": "p-ann", "tier": "enterprise", "nbf": int(now), "exp": 2**40}).encode())
    for forged in (
        f"{header}.{forged_payload}.{signature}",  # claims changed under the signature
        f"{header}.{payload}.{b64url(bytes(64))}",  # a made-up signature
        EntitlementSigner.from_setting(keys(("k1", SEED_NEW))).sign(
            {"nbf": int(now), "exp": int(now) + 60}
        ),  # another key, same kid
    ):
        with pytest.raises(InvalidEntitlement, match="signature"):
            verify(forged, public_keys_of(signer.jwks()), now)
    with pytest.raises(InvalidEntitlement, match="not in force"):
        verify(token, public_keys_of(signer.jwks()), now + 60)  # expired
    unknown = EntitlementSigner.from_setting(keys(("k9", SEED_OLD))).sign({"nbf": int(now), "exp": int(now) + 60})
    with pytest.raises(InvalidEntitlement, match="unknown key id"):
        verify(unknown, public_keys_of(signer.jwks()), now)
    with pytest.raises(InvalidEntitlement, match="not a compact JWS"):
        verify("not.a-token", public_keys_of(signer.jwks()), now)


def test_rotation_what_the_old_key_signed_verifies_while_it_stays_listed():
    now = T0.timestamp()
    before = EntitlementSigner.from_setting(keys(("old", SEED_OLD)))
    signed_before = before.sign({"sub": "p-ann", "nbf": int(now), "exp": int(now) + 3600})
    during = EntitlementSigner.from_setting(keys(("new", SEED_NEW), ("old", SEED_OLD)))
    assert [k["kid"] for k in during.jwks()["keys"]] == ["new", "old"]
    signed_during = during.sign({"sub": "p-ann", "nbf": int(now), "exp": int(now) + 3600})
    assert json.loads(base64.urlsafe_b64decode(signed_during.split(".")[0] + "=="))["kid"] == "new"
    for token in (signed_before, signed_during):
        assert verify(token, public_keys_of(during.jwks()), now)["sub"] == "p-ann"
    after = EntitlementSigner.from_setting(keys(("new", SEED_NEW)))  # the old key is no longer listed
    assert verify(signed_during, public_keys_of(after.jwks()), now)["sub"] == "p-ann"
    with pytest.raises(InvalidEntitlement, match="unknown key id"):
        verify(signed_before, public_keys_of(after.jwks()), now)


def test_a_licence_file_holds_the_entitlement_folded_at_64_characters():
    token = EntitlementSigner.from_setting("").sign({"nbf": 0, "exp": 2**31})
    text = licence_file(token)
    lines = text.splitlines()
    assert lines[0] == "-----BEGIN ENTITLE LICENCE FILE-----" and lines[-1] == "-----END ENTITLE LICENCE FILE-----"
    assert all(len(line) <= 64 for line in lines[1:-1]) and len(lines[1]) == 64
    assert entitlement_of_file(text) == token


def test_the_signing_keys_are_a_production_problem_when_empty_the_development_key_or_unreadable():
    assert any("SEATS_ENTITLEMENT_KEYS is empty" in p for p in SeatsSettings(entitlement_keys="").production_problems())
    assert key_problems(keys(("k1", SEED_OLD), ("dev", DEV_SEED))) == [
        "SEATS_ENTITLEMENT_KEYS holds the public development key: remove it."
    ]
    assert key_problems("k1:c2hvcnQ")[0].startswith(
        "SEATS_ENTITLEMENT_KEYS: key 'k1': an Ed25519 private seed is 32 bytes"
    )
    assert key_problems("no-colon")[0].startswith("SEATS_ENTITLEMENT_KEYS:")
    assert key_problems(keys(("k1", SEED_OLD), ("k1", SEED_NEW))) == [
        "SEATS_ENTITLEMENT_KEYS: two keys share a key id."
    ]
    assert key_problems(keys(("k1", SEED_OLD))) == []
    assert SeatsSettings(
        entitlement_keys=keys(("k1", SEED_OLD)), offline_allowance_days=3
    ).signer().offline_allowance == timedelta(days=3)
