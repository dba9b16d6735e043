"""Housekeeping forgets sign-ins ended 30 days ago, their refresh tokens and sign-outs (issue 14
added them and nothing deleted them), while a spent refresh token of a sign-in still alive stays,
so that presenting it again is still caught as reuse (R42). Over HTTP on SQLite and PostgreSQL."""

from __future__ import annotations

from datetime import timedelta

from sqlalchemy import func, select

from identity.store.sessions import ENDED_KEPT
from identity.store.tables import refresh_tokens, revoked_sessions, sign_in_sessions

from .test_api import signed_in
from .test_desktop_sign_in import bearer, kept, refresh, sid_of

DAY = timedelta(days=1)


async def rows_of(service, session_id: str) -> dict[str, int]:
    """How many rows each table keeps of this session."""
    counted = {}
    async with service.driver.runtime.db.connect() as conn:
        for table in (sign_in_sessions, refresh_tokens, revoked_sessions):
            query = select(func.count()).select_from(table).where(table.c.session_id == session_id)
            counted[table.name] = (await conn.execute(query)).scalar()
    return counted


async def renewed(service, refresh_token: str) -> dict:
    answer = await refresh(service, refresh_token)
    assert answer.status_code == 200, answer.text
    return answer.json()


async def test_R42_a_spent_refresh_token_of_a_living_sign_in_is_kept_and_its_reuse_still_caught(service, clock):
    await signed_in(service)
    first = await kept(service)
    session_id = sid_of(service, first["access_token"])
    latest = await renewed(service, first["refresh_token"])  # the first is spent, and expires in 30 days
    for _ in range(4):  # the sign-in lives on, refreshed every 20 days, past the first's expiry + 30 days
        clock.advance(20 * DAY)
        latest = await renewed(service, latest["refresh_token"])
    await service.driver.runtime.housekeeping()
    assert await rows_of(service, session_id) == {"sign_in_sessions": 1, "refresh_tokens": 6, "revoked_sessions": 0}
    reused = await refresh(service, first["refresh_token"])  # a copy of the first, 80 days on
    assert (reused.status_code, reused.json()["code"]) == (401, "refresh_token_reused")
    assert (await refresh(service, latest["refresh_token"])).json()["code"] == "refresh_token_invalid"


async def test_R42_sign_ins_expired_more_than_30_days_ago_are_forgotten_with_their_refresh_tokens(service, clock):
    await signed_in(service)
    old = await kept(service, device="old laptop")
    old_session = sid_of(service, old["access_token"])
    spent_copy = old["refresh_token"]
    await renewed(service, spent_copy)  # spent, and its successor expires 30 days from now
    clock.advance(DAY)
    recent = await kept(service, device="new laptop")  # expires a day after the old one
    recent_session = sid_of(service, recent["access_token"])
    clock.advance(30 * DAY + ENDED_KEPT - DAY)  # the old one expired 30 days and a second ago...
    clock.advance(timedelta(seconds=1))
    await service.driver.runtime.housekeeping()
    assert await rows_of(service, old_session) == {"sign_in_sessions": 0, "refresh_tokens": 0, "revoked_sessions": 0}
    # ...the recent one 29 days and 23 hours ago: kept.
    assert await rows_of(service, recent_session) == {"sign_in_sessions": 1, "refresh_tokens": 1, "revoked_sessions": 0}
    # Refused still, now as unknown: no sign-in is left for it to end.
    assert (await refresh(service, spent_copy)).json()["code"] == "refresh_token_invalid"


async def test_R42_sign_outs_are_forgotten_30_days_after_with_their_sign_in_and_refresh_tokens(service, clock):
    await signed_in(service)
    early, late = await kept(service, device="early"), await kept(service, device="late")
    out = await service.post("/sessions/current/sign-out", headers=bearer(early["access_token"]))
    assert out.status_code == 200
    clock.advance(DAY)
    late = await renewed(service, late["refresh_token"])  # a fresh access token to sign out with
    assert (await service.post("/sessions/current/sign-out", headers=bearer(late["access_token"]))).status_code == 200
    clock.advance(ENDED_KEPT - DAY + timedelta(seconds=1))  # early signed out 30 days and a second ago
    await service.driver.runtime.housekeeping()
    gone = {"sign_in_sessions": 0, "refresh_tokens": 0, "revoked_sessions": 0}
    assert await rows_of(service, sid_of(service, early["access_token"])) == gone
    kept_rows = {"sign_in_sessions": 1, "refresh_tokens": 2, "revoked_sessions": 1}
    assert await rows_of(service, sid_of(service, late["access_token"])) == kept_rows
    for refresh_token in (early["refresh_token"], late["refresh_token"]):
        assert (await refresh(service, refresh_token)).json()["code"] == "refresh_token_invalid"


async def test_each_round_forgets_a_bounded_batch_of_sign_ins(service, clock):
    runtime = service.driver.runtime
    long_ago = clock.now() - ENDED_KEPT - DAY
    async with runtime.uow() as uow:
        for n in range(3):
            await uow.sessions.started(f"s-{n}", "p-ada", "a-1", long_ago - DAY, long_ago)
        await uow.commit()
    async with runtime.uow() as uow:
        assert await uow.sessions.forget_ended(clock.now(), batch=2) == 2
        await uow.commit()
    async with runtime.db.connect() as conn:
        assert (await conn.execute(select(func.count()).select_from(sign_in_sessions))).scalar() == 1
    await runtime.housekeeping()
    async with runtime.db.connect() as conn:
        assert (await conn.execute(select(func.count()).select_from(sign_in_sessions))).scalar() == 0
