"""EntitleClient against a fake Entitle: sign-in kept (R42), rotation, access online and offline."""

from __future__ import annotations

import json
import os
import stat
import threading
from datetime import timedelta

import pytest

from entitle_client import ApiError, ClockRollback, NotSignedIn, Unreachable


def test_R42_a_kept_sign_in_saves_its_refresh_token_readable_by_the_owner_only(entitle, client, tmp_path) -> None:
    assert client.sign_in("alice@example.com", "right", device_name="Alice's laptop") == "person-1"
    body = json.loads(entitle.requests[0].content)
    assert body["keep_signed_in"] is True and body["device_name"] == "Alice's laptop"
    saved = tmp_path / "cache" / "session.json"
    assert stat.S_IMODE(os.stat(saved).st_mode) == 0o600
    assert stat.S_IMODE(os.stat(tmp_path / "cache").st_mode) == 0o700
    assert json.loads(saved.read_text())["refresh_token"] in entitle.refresh_tokens


def test_a_wrong_password_is_refused(client) -> None:
    with pytest.raises(NotSignedIn):
        client.sign_in("alice@example.com", "wrong")
    assert not client.signed_in


def test_R42_an_expired_access_token_is_refreshed_and_the_refresh_token_rotated(entitle, client, new_client) -> None:
    client.sign_in("alice@example.com", "right")
    first = client._session["refresh_token"]
    entitle.clock.advance(timedelta(minutes=20))  # past the access token's 15 minutes
    assert client.check_access("designer").allowed
    assert entitle.refresh_tokens[first] == "spent"
    second = client._session["refresh_token"]
    assert second != first and entitle.refresh_tokens[second] == "live"
    restarted = new_client()  # a new start of the product: still signed in, with the new token
    assert restarted.signed_in and restarted._session["refresh_token"] == second
    assert restarted.check_access("designer").allowed


def test_R42_refreshes_from_two_threads_spend_the_refresh_token_once(entitle, client) -> None:
    client.sign_in("alice@example.com", "right")
    entitle.clock.advance(timedelta(minutes=20))
    tokens: list[str] = []
    threads = [threading.Thread(target=lambda: tokens.append(client.access_token())) for _ in range(4)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(10)
    assert len(set(tokens)) == 1 and entitle.sessions_ended == 0  # no reuse detected
    assert sum(1 for r in entitle.requests if r.url.path == "/tokens/refresh") == 1


def test_R42_a_sign_in_ended_by_reuse_detection_asks_to_sign_in_again(entitle, client) -> None:
    client.sign_in("alice@example.com", "right")
    stolen = client._session["refresh_token"]
    entitle.refresh_tokens[stolen] = "spent"  # someone else used it first
    entitle.access_tokens.clear()
    with pytest.raises(NotSignedIn):
        client.check_access("designer")
    assert entitle.sessions_ended == 1 and not client.signed_in


def test_R42_a_revoked_access_token_is_replaced_once_then_the_call_is_made_again(entitle, client) -> None:
    client.sign_in("alice@example.com", "right")
    entitle.access_tokens.clear()  # e.g. the stack restarted with a new token secret
    assert client.check_access("designer").allowed
    calls = [p for p in entitle.paths() if "jwks" not in p]
    assert calls[-3:] == ["GET /access", "POST /tokens/refresh", "GET /access"]


def test_access_online_is_structured_and_its_entitlement_verified_and_saved(entitle, client, tmp_path) -> None:
    client.sign_in("alice@example.com", "right")
    access = client.check_access("designer")
    assert access.allowed and not access.offline
    assert (access.tier, access.licence_type, access.modules, access.add_ons) == (
        "pro",
        "named_user",
        ("core", "render"),
        ("cloud",),
    )
    assert access.limits == {"projects": 5} and access.has_module("render") and not access.has_module("animate")
    assert access.entitlement is not None and access.entitlement.product == "designer"
    request = next(r for r in entitle.requests if r.url.path == "/access")
    assert request.url.params["user_id"] == "person-1" and request.url.params["signed"] == "true"
    saved = tmp_path / "cache" / "entitlements" / "designer.jws"
    assert saved.read_text() == access.entitlement.token


def test_offline_the_last_good_entitlement_holds_until_its_not_after(entitle, client) -> None:
    client.sign_in("alice@example.com", "right")
    online = client.check_access("designer")
    entitle.offline = True
    entitle.clock.advance(timedelta(days=6))
    offline = client.check_access("designer")
    assert offline.allowed and offline.offline and offline.tier == "pro" and offline.modules == online.modules
    assert offline.not_after == online.entitlement.not_after
    assert "cannot be reached" in offline.reason and "valid until" in offline.reason
    entitle.clock.advance(timedelta(days=1, minutes=2))  # past the 7 days' not-after
    expired = client.check_access("designer")
    assert not expired.allowed and expired.offline and "expired" in expired.reason


def test_offline_after_a_restart_uses_the_saved_sign_in_and_entitlement(entitle, client, new_client) -> None:
    client.sign_in("alice@example.com", "right")
    client.check_access("designer")
    entitle.server_error = True  # a 5xx is unreachable too
    entitle.clock.advance(timedelta(hours=2))
    access = new_client().check_access("designer")
    assert access.allowed and access.offline


def test_offline_a_clock_turned_back_is_refused(entitle, client) -> None:
    client.sign_in("alice@example.com", "right")
    entitle.clock.advance(timedelta(days=6))
    client.check_access("designer")  # Entitle vouched for day 6
    entitle.offline = True
    entitle.clock.advance(timedelta(days=-3))
    with pytest.raises(ClockRollback):
        client.check_access("designer")


def test_a_refusal_online_forgets_the_saved_entitlement(entitle, client) -> None:
    client.sign_in("alice@example.com", "right")
    client.check_access("designer")
    entitle.allowed = False
    assert not client.check_access("designer").allowed
    entitle.offline = True
    offline = client.check_access("designer")
    assert not offline.allowed and offline.offline


def test_sign_out_ends_the_sign_in_and_forgets_what_it_saved(entitle, client, tmp_path) -> None:
    client.sign_in("alice@example.com", "right")
    client.check_access("designer")
    client.sign_out()
    assert entitle.sessions_ended == 1 and not client.signed_in
    assert not (tmp_path / "cache" / "session.json").exists()
    assert not (tmp_path / "cache" / "entitlements" / "designer.jws").exists()
    with pytest.raises(NotSignedIn):
        client.check_access("designer")


def test_sign_out_offline_still_forgets_locally_and_says_so(entitle, client) -> None:
    client.sign_in("alice@example.com", "right")
    entitle.offline = True
    with pytest.raises(Unreachable):
        client.sign_out()
    assert not client.signed_in


def test_a_product_name_cannot_escape_the_cache_directory(client) -> None:
    client.sign_in("alice@example.com", "right")
    with pytest.raises(ValueError, match="not a usable name"):
        client.check_access("../session")


def test_refusals_carry_the_services_code(entitle, client) -> None:
    client.sign_in("alice@example.com", "right")
    entitle.seats_free = 0
    with pytest.raises(ApiError) as refused:
        client.checkout("designer")
    assert refused.value.status == 409 and refused.value.code == "no_free_seat"
