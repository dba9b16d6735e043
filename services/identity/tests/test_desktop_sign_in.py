"""The desktop sign-in (R42): a sign-in kept for 30 days by rotating refresh tokens, in the same
session (`sid`) throughout; a spent refresh token presented again ends the sign-in; a person
lists and ends their own sign-ins, and no one else's. Over HTTP on SQLite and PostgreSQL."""

from __future__ import annotations

import uuid
from datetime import datetime, timedelta

import jwt

from .test_api import sign_in, signed_in

NOW_PLUS_30_DAYS = timedelta(days=30)


def sid_of(service, token: str) -> str:
    """The token's session, even once it expired (its signature checked, its times not)."""
    secret = service.driver.runtime.settings.token_secret
    sid: str = jwt.decode(token, secret, algorithms=["HS256"], options={"verify_exp": False, "verify_iat": False})[
        "sid"
    ]
    return sid


def bearer(token: str) -> dict:
    return {"Authorization": f"Bearer {token}"}


async def kept(service, device: str = "Ada's laptop", email: str = "ada@example.com") -> dict:
    answer = await sign_in(service, email, keep_signed_in=True, device_name=device)
    assert answer.status_code == 200, answer.text
    return answer.json()


async def refresh(service, refresh_token: str):
    return await service.post("/tokens/refresh", json={"refresh_token": refresh_token})


async def test_R42_keep_signed_in_adds_a_refresh_token_valid_30_days(service, clock):
    await signed_in(service)
    plain = (await sign_in(service)).json()
    assert "refresh_token" not in plain
    desktop = await kept(service)
    assert desktop["refresh_token"] and desktop["expires_in"] == 3600
    assert datetime.fromisoformat(desktop["refresh_expires_at"]) == clock.now() + NOW_PLUS_30_DAYS
    too_long = await sign_in(service, keep_signed_in=True, device_name="x" * 101)
    assert too_long.status_code == 422


async def test_R42_a_refresh_keeps_the_session_and_rotates_the_refresh_token(service, clock):
    await signed_in(service)
    first = await kept(service)
    clock.advance(timedelta(days=3))  # long after the access token expired
    assert (await service.get("/me/accounts", headers=bearer(first["access_token"]))).status_code == 401
    renewed = await refresh(service, first["refresh_token"])
    assert renewed.status_code == 200, renewed.text
    second = renewed.json()
    assert second["refresh_token"] != first["refresh_token"]
    assert sid_of(service, second["access_token"]) == sid_of(service, first["access_token"])
    assert datetime.fromisoformat(second["refresh_expires_at"]) == clock.now() + NOW_PLUS_30_DAYS
    assert renewed.headers["Cache-Control"] == "no-store"
    assert (await service.get("/me/accounts", headers=bearer(second["access_token"]))).status_code == 200
    clock.advance(timedelta(days=29))  # 32 days after signing in, 29 after the last refresh
    assert (await refresh(service, second["refresh_token"])).status_code == 200


async def test_R42_a_spent_refresh_token_presented_again_ends_the_whole_sign_in(service):
    await signed_in(service)
    first = await kept(service)
    second = (await refresh(service, first["refresh_token"])).json()
    reused = await refresh(service, first["refresh_token"])  # a copy, used by someone else
    assert (reused.status_code, reused.json()["code"], reused.json()["rule"]) == (401, "refresh_token_reused", "R42")
    [ended] = await service.driver.published("identity.signed_out")
    assert ended["data"]["session_id"] == sid_of(service, first["access_token"])
    # The legitimate holder's newer tokens end with it.
    assert (await refresh(service, second["refresh_token"])).json()["code"] == "refresh_token_invalid"
    assert (await service.get("/me/accounts", headers=bearer(second["access_token"]))).status_code == 401


async def test_R42_an_expired_or_unknown_refresh_token_is_refused(service, clock):
    await signed_in(service)
    desktop = await kept(service)
    unknown = await refresh(service, "not-a-refresh-token")
    assert (unknown.status_code, unknown.json()["code"]) == (401, "refresh_token_invalid")
    clock.advance(NOW_PLUS_30_DAYS)
    expired = await refresh(service, desktop["refresh_token"])
    assert (expired.status_code, expired.json()["code"]) == (401, "refresh_token_invalid")
    assert await service.driver.published("identity.signed_out") == []  # expiry is no reuse


async def test_R42_signing_out_ends_the_refresh_token_too(service):
    await signed_in(service)
    desktop = await kept(service)
    out = await service.post("/sessions/current/sign-out", headers=bearer(desktop["access_token"]))
    assert out.status_code == 200
    assert (await refresh(service, desktop["refresh_token"])).status_code == 401


async def test_R42_a_person_lists_their_sign_ins_and_ends_one(service, clock):
    await signed_in(service)
    laptop = await kept(service, "Ada's laptop")
    clock.advance(timedelta(hours=2))
    workstation = await kept(service, "Workstation")
    clock.advance(timedelta(hours=1))
    workstation = (await refresh(service, workstation["refresh_token"])).json()

    listed = await service.get("/me/sign-ins", headers=bearer(workstation["access_token"]))
    assert listed.status_code == 200
    by_device = {s["device_name"]: s for s in listed.json()}
    assert {"Ada's laptop", "Workstation"} <= set(by_device)
    assert by_device["Workstation"]["current"] is True and by_device["Ada's laptop"]["current"] is False
    assert datetime.fromisoformat(by_device["Workstation"]["last_used_at"]) == clock.now()
    assert by_device["Ada's laptop"]["sign_in_id"] == sid_of(service, laptop["access_token"])

    lost = by_device["Ada's laptop"]["sign_in_id"]
    ended = await service.delete(f"/me/sign-ins/{lost}", headers=bearer(workstation["access_token"]))
    assert ended.status_code == 200 and ended.json()["sign_in_id"] == lost
    [event] = await service.driver.published("identity.signed_out")
    assert event["data"]["session_id"] == lost
    assert (await refresh(service, laptop["refresh_token"])).status_code == 401
    after = (await service.get("/me/sign-ins", headers=bearer(workstation["access_token"]))).json()
    assert lost not in [s["sign_in_id"] for s in after]
    again = await service.delete(f"/me/sign-ins/{lost}", headers=bearer(workstation["access_token"]))
    assert again.status_code == 404


async def test_R42_another_persons_sign_in_answers_404_and_is_left_alone(service):
    await signed_in(service)
    await signed_in(service, "bob@example.com", "Bob & Co")
    ada = await kept(service)
    bob = await kept(service, "Bob's PC", "bob@example.com")
    bobs = sid_of(service, bob["access_token"])
    assert bobs not in [
        s["sign_in_id"] for s in (await service.get("/me/sign-ins", headers=bearer(ada["access_token"]))).json()
    ]
    probe = await service.delete(f"/me/sign-ins/{bobs}", headers=bearer(ada["access_token"]))
    nobodys = str(uuid.uuid4())
    unknown = await service.delete(f"/me/sign-ins/{nobodys}", headers=bearer(ada["access_token"]))
    assert probe.status_code == unknown.status_code == 404
    assert probe.json()["message"].replace(bobs, "?") == unknown.json()["message"].replace(nobodys, "?")
    assert (await refresh(service, bob["refresh_token"])).status_code == 200
