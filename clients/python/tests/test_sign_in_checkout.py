"""The desktop sign-in of the guides (R26, issue 14): one call signs in and takes a floating seat
bound to that sign-in; sign-out gives it back, a borrowed seat excepted."""

from __future__ import annotations

from datetime import timedelta

import pytest

from entitle_client import ApiError, EntitleClient, NotSignedIn, Unreachable


def calls(entitle) -> list[str]:
    return [path for path in entitle.paths() if "jwks" not in path]


def test_R26_one_call_signs_in_and_takes_a_seat_with_that_sign_ins_token(entitle, client) -> None:
    lease = client.sign_in_and_checkout("alice@example.com", "right", "designer", device_name="Alice's laptop")
    assert calls(entitle) == ["POST /tokens", "POST /products/designer/leases"]
    [taken] = [r for r in entitle.requests if r.url.path == "/products/designer/leases"]
    assert taken.headers["Authorization"] == f"Bearer {client._access_token}"  # the sign-in's own token (its sid)
    assert client.signed_in and client._session["refresh_token"] in entitle.refresh_tokens  # kept 30 days (R42)
    assert lease.active and lease.product == "designer" and entitle.seats_free == 0
    assert lease.entitlement is not None and lease.entitlement.lease_id == lease.lease_id
    assert lease.heartbeat is not None  # kept alive in the background, as `checkout` does
    assert client.leases == [lease]


def test_R26_sign_out_gives_back_the_seat_taken_at_sign_in_before_ending_the_sign_in(entitle, client, tmp_path) -> None:
    lease = client.sign_in_and_checkout("alice@example.com", "right", "designer", heartbeat=False)
    client.sign_out()
    assert calls(entitle)[-2:] == [f"DELETE /leases/{lease.lease_id}", "POST /sessions/current/sign-out"]
    assert entitle.leases[lease.lease_id].released and entitle.seats_free == 1  # free at once for a colleague
    assert lease.released and not lease.active and client.leases == []
    assert not client.signed_in and entitle.sessions_ended == 1
    assert not (tmp_path / "cache" / "entitlements" / "designer.jws").exists()


def test_R26_the_seat_stays_bound_to_the_sign_in_across_token_refreshes(entitle, client) -> None:
    lease = client.sign_in_and_checkout("alice@example.com", "right", "designer", heartbeat=False)
    entitle.clock.advance(timedelta(minutes=20))  # the access token expired: refreshed, same sign-in
    client.heartbeat(lease)
    assert "POST /tokens/refresh" in calls(entitle) and not entitle.leases[lease.lease_id].released
    client.sign_out()
    assert entitle.leases[lease.lease_id].released and entitle.seats_free == 1


def test_R26_no_free_seat_at_sign_in_raises_and_keeps_the_person_signed_in(entitle, client) -> None:
    entitle.seats_free = 0
    with pytest.raises(ApiError) as refused:
        client.sign_in_and_checkout("alice@example.com", "right", "designer", heartbeat=False)
    assert (refused.value.status, refused.value.code) == (409, "no_free_seat")
    assert client.signed_in and client.leases == []
    entitle.seats_free = 1  # a colleague signed out: try again without the password
    assert client.checkout("designer", heartbeat=False).active


def test_R26_a_wrong_password_takes_no_seat(entitle, client) -> None:
    with pytest.raises(NotSignedIn):
        client.sign_in_and_checkout("alice@example.com", "wrong", "designer")
    assert calls(entitle) == ["POST /tokens"] and entitle.seats_free == 1 and not client.signed_in


def test_an_unusable_product_name_signs_nobody_in(entitle, client) -> None:
    with pytest.raises(ValueError, match="not a usable name"):
        client.sign_in_and_checkout("alice@example.com", "right", "../session")
    assert entitle.requests == [] and not client.signed_in


def test_R26_a_borrowed_seat_is_kept_at_sign_out_and_stays_usable_offline(entitle, client) -> None:
    lease = client.sign_in_and_checkout("alice@example.com", "right", "designer", heartbeat=False)
    until = entitle.clock.now() + timedelta(days=3)
    lease.borrow(until)
    client.sign_out()
    assert f"DELETE /leases/{lease.lease_id}" not in calls(entitle)
    assert not entitle.leases[lease.lease_id].released and entitle.seats_free == 0  # as seats keeps it
    assert lease.active and not lease.released
    entitle.offline = True
    entitle.clock.advance(timedelta(days=2))
    assert lease.usable(entitle.clock.now())
    saved = client.saved_entitlement("designer")  # e.g. after a restart of the product
    assert saved.lease_id == lease.lease_id and saved.not_after == until


def test_R26_a_borrowed_seats_entitlement_goes_when_someone_else_signs_in(entitle, client, tmp_path) -> None:
    lease = client.sign_in_and_checkout("alice@example.com", "right", "designer", heartbeat=False)
    lease.borrow(entitle.clock.now() + timedelta(days=3))
    client.sign_out()
    assert (tmp_path / "cache" / "entitlements" / "designer.jws").exists()
    entitle.person_id = "person-2"
    client.sign_in("bob@example.com", "right")
    assert not (tmp_path / "cache" / "entitlements" / "designer.jws").exists()


def test_R26_sign_out_with_seats_down_still_ends_the_sign_in_and_says_so(entitle, new_client) -> None:
    client: EntitleClient = new_client()
    lease = client.sign_in_and_checkout("alice@example.com", "right", "designer", heartbeat=False)
    entitle.offline = True
    with pytest.raises(Unreachable):
        client.sign_out()
    assert not client.signed_in and lease.released and client.leases == []
