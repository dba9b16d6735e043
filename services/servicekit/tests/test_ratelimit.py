"""Fixed-window rate limits, counted in the database every replica shares (SQLite and PostgreSQL)."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from contracts.errors import TooManyRequests
from servicekit.store.ratelimit import RateLimit, prune

NOW = datetime(2026, 3, 1, 12, 0, 30, tzinfo=UTC)
THREE_A_MINUTE = RateLimit("test_sends", 3, timedelta(minutes=1), "Too many sends.")


async def test_a_limit_refuses_the_action_past_it_until_its_window_ends(db):
    async with db.connect() as conn:
        for _ in range(3):
            await THREE_A_MINUTE.take(conn, "acct-1", NOW)
        with pytest.raises(TooManyRequests) as refused:
            await THREE_A_MINUTE.take(conn, "acct-1", NOW)
        await THREE_A_MINUTE.take(conn, "acct-2", NOW)  # another key counts apart
        await THREE_A_MINUTE.take(conn, "acct-1", NOW + timedelta(seconds=30))  # the next window
    assert refused.value.retry_after_seconds == 30
    assert refused.value.code == "test_sends_exceeded" and "30 seconds" in refused.value.message


async def test_a_refused_take_in_a_rolled_back_transaction_is_not_counted(db):
    async with db.connect() as conn:
        await THREE_A_MINUTE.take(conn, "acct-1", NOW, amount=2)
        await conn.commit()
        with pytest.raises(TooManyRequests):
            await THREE_A_MINUTE.take(conn, "acct-1", NOW, amount=2)
        await conn.rollback()
        assert await THREE_A_MINUTE.used(conn, "acct-1", NOW) == 2
        await THREE_A_MINUTE.check(conn, "acct-1", NOW)  # one more fits
        with pytest.raises(TooManyRequests):
            await THREE_A_MINUTE.check(conn, "acct-1", NOW, amount=2)


async def test_old_windows_are_pruned(db):
    async with db.connect() as conn:
        await THREE_A_MINUTE.record(conn, "acct-1", NOW - timedelta(days=3))
        await THREE_A_MINUTE.record(conn, "acct-1", NOW)
        assert await prune(conn, NOW) == 1
        assert await THREE_A_MINUTE.used(conn, "acct-1", NOW) == 1


def test_a_window_longer_than_a_day_is_refused():
    with pytest.raises(ValueError, match="per window of up to a day"):
        RateLimit("weekly", 5, timedelta(days=7), "No.")
