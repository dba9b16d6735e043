"""Node-locked licence files (issue 14, R27): bound to the device fingerprint, verified offline
until the term end plus 10 days (R48); a wrong fingerprint is refused, and a deactivated or
revoked key is refused at the next online check."""

from __future__ import annotations

import httpx
import pytest

from contracts.testing import SUBSCRIPTION_ID
from seats.adapters.signing import public_keys_of, verify
from seats.domain.entitlements import NODE_LOCKED_GRACE, entitlement_of_file
from seats.handlers import users

from .test_access_callers import product_auth
from .test_devices_access import ANN, STRANGER, _users, node_locked_pool
from .test_handlers import TERM_END, caller, command
from .test_routes import auth

FINGERPRINT = "fp-4f1c2a9e7b3d"


@pytest.fixture
async def http(seats):
    transport = httpx.ASGITransport(app=seats.runtime.app)
    async with httpx.AsyncClient(transport=transport, base_url="http://seats") as client:
        yield client


async def licence_file(seats, http, key_id, fingerprint=FINGERPRINT, who=ANN):
    return await http.post(
        "/licence-files",
        json={"key": key_id, "fingerprint": fingerprint, "device_name": "Ann's workstation"},
        headers=auth(seats, who),
    )


async def online_check(seats, http, fingerprint=FINGERPRINT):
    answer = await http.get(
        "/access", params={"product": "designer", "device_id": fingerprint}, headers=product_auth(seats)
    )
    return answer.json()


async def test_R27_a_licence_file_binds_the_key_to_the_fingerprint_until_the_term_end_plus_grace(seats, http):
    [key, _] = await node_locked_pool(seats)
    answer = await licence_file(seats, http, key.key_id.lower())
    assert answer.status_code == 200, answer.text
    found = answer.json()
    jwks = (await http.get("/.well-known/jwks.json")).json()
    claims = verify(entitlement_of_file(found["licence_file"]), public_keys_of(jwks), seats.clock.now().timestamp())
    assert (claims["device"], claims["key_id"], claims["licence_type"], claims["sub"]) == (
        FINGERPRINT,
        key.key_id,
        "node_locked",
        ANN.person_id,
    )
    assert claims["exp"] == int((TERM_END + NODE_LOCKED_GRACE).timestamp())
    assert (found["device"], found["key_id"], found["entitlement"]) == (
        FINGERPRINT,
        key.key_id,
        entitlement_of_file(found["licence_file"]),
    )
    assert (await online_check(seats, http))["allowed"] is True
    [activated] = [e["data"] for e in await seats.published() if e["type"] == "seats.device_activated"]
    assert activated["device_id"] == FINGERPRINT  # the activation's device id is the fingerprint
    # the same machine asks again (a reinstall): the file is issued again, nothing is activated anew
    again = await licence_file(seats, http, key.key_id)
    assert again.status_code == 200 and again.json()["device"] == FINGERPRINT
    assert len([e for e in await seats.published() if e["type"] == "seats.device_activated"]) == 1


async def test_R27_a_wrong_fingerprint_for_an_active_key_is_refused_409_key_in_use(seats, http):
    [key, _] = await node_locked_pool(seats)
    assert (await licence_file(seats, http, key.key_id)).status_code == 200
    moved = await licence_file(seats, http, key.key_id, fingerprint="fp-another-machine")
    assert moved.status_code == 409 and moved.json()["code"] == "key_in_use", moved.text
    assert (await online_check(seats, http, "fp-another-machine"))["allowed"] is False


async def test_R27_a_deactivated_key_is_refused_at_the_next_online_check(seats, http):
    [key, _] = await node_locked_pool(seats)
    await licence_file(seats, http, key.key_id)
    deactivated = await http.post(
        f"/subscriptions/{SUBSCRIPTION_ID}/keys/{key.key_id}/deactivation", headers=auth(seats, ANN)
    )
    assert deactivated.status_code == 200, deactivated.text
    assert (await online_check(seats, http))["allowed"] is False


async def test_R24_a_revoked_key_is_refused_at_the_next_online_check(seats, http):
    [key, _] = await node_locked_pool(seats)
    await licence_file(seats, http, key.key_id)
    ann = next(u for u in await _users(seats) if u.email == ANN.email)
    await command(seats, users.unassign_users, SUBSCRIPTION_ID, [ann.user_id], caller())
    answer = await online_check(seats, http)
    assert answer["allowed"] is False and answer["entitlement"] is None


async def test_R27_a_key_of_someone_elses_subscription_answers_as_an_unknown_key(seats, http):
    [key, _] = await node_locked_pool(seats)
    theirs = await licence_file(seats, http, key.key_id, who=STRANGER)
    unknown = await licence_file(seats, http, "0000-0000-0000-0000", who=STRANGER)
    assert theirs.status_code == unknown.status_code == 404
    assert theirs.json()["code"] == unknown.json()["code"]


@pytest.mark.parametrize(
    "body",
    [
        {"key": "not-a-key", "fingerprint": FINGERPRINT},
        {"key": "0000-0000-0000-0000", "fingerprint": "short"},
        {"key": "0000-0000-0000-0000", "fingerprint": "f" * 201},
        {"key": "0000-0000-0000-0000", "fingerprint": "fp\r\nx-injected"},
    ],
)
async def test_a_licence_file_request_is_bounded_at_the_edge(seats, http, body):
    answer = await http.post("/licence-files", json=body, headers=auth(seats, ANN))
    assert answer.status_code == 422, answer.text
