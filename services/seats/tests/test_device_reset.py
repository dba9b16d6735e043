"""Device resets (issue 14, R27): lost machines are the first source of support tickets, so the
holder of a node-locked key frees it themselves, at most `SEATS_DEVICE_RESETS_PER_30_DAYS` times
in any 30 days (429 with Retry-After past it); the administrator frees any key, unlimited."""

from __future__ import annotations

import functools
from datetime import timedelta

import pytest

from contracts.errors import RuleViolation, TooManyRequests
from contracts.testing import SUBSCRIPTION_ID
from seats.domain.devices import ensure_may_reset_device
from seats.handlers import devices

from .conftest import T0
from .test_devices_access import ANN, activate, node_locked_pool
from .test_handlers import caller, command

DAY = timedelta(days=1)


async def ann_key(seats):
    """A one-seat node-locked pool, ANN assigned: its key is hers."""
    [key] = await node_locked_pool(seats, quantity=1)
    return key


async def reset(seats, key, who=ANN, limit: int = 3):
    deactivate = functools.partial(devices.deactivate, resets_per_30_days=limit)
    return await command(seats, deactivate, SUBSCRIPTION_ID, key.key_id, who)


async def test_R27_the_holder_resets_their_own_device_three_times_in_30_days_then_waits(seats):
    key = await ann_key(seats)
    for n in range(3):
        await activate(seats, key, f"laptop-{n}")
        await reset(seats, key)
        seats.clock.advance(DAY)
    await activate(seats, key, "laptop-3")
    with pytest.raises(TooManyRequests) as refused:
        await reset(seats, key)
    assert (refused.value.code, refused.value.rule) == ("device_resets_exceeded", "R27")
    assert refused.value.retry_after_seconds == (30 * DAY - 3 * DAY).total_seconds()  # the first leaves the window
    seats.clock.set(T0 + 30 * DAY)
    assert (await reset(seats, key)).device_id is None


async def test_R27_the_administrator_resets_any_device_without_a_limit(seats):
    key = await ann_key(seats)
    for n in range(5):
        await activate(seats, key, f"laptop-{n}")
        assert (await reset(seats, key, caller())).device_id is None


async def test_R27_a_refused_reset_is_not_counted(seats):
    key = await ann_key(seats)
    await activate(seats, key, "laptop")
    await reset(seats, key, limit=1)
    await activate(seats, key, "new laptop")
    seats.clock.set(T0 + DAY)
    with pytest.raises(TooManyRequests):
        await reset(seats, key, limit=1)
    seats.clock.set(T0 + 30 * DAY)  # the reset at T0 left the window; the refused one never entered it
    assert (await reset(seats, key, limit=1)).device_id is None


async def test_R27_a_zero_limit_leaves_resets_to_the_administrator(seats):
    key = await ann_key(seats)
    await activate(seats, key, "laptop")
    with pytest.raises(RuleViolation) as refused:
        await reset(seats, key, limit=0)
    assert (refused.value.code, refused.value.refusal.value) == ("device_reset_by_administrator", "forbidden")
    assert (await reset(seats, key, caller(), limit=0)).device_id is None


def test_R27_retry_after_is_when_enough_resets_leave_the_30_days():
    resets = [T0, T0 + DAY, T0 + 2 * DAY, T0 + 3 * DAY]
    with pytest.raises(TooManyRequests) as refused:
        ensure_may_reset_device(resets, 3, T0 + 4 * DAY)
    assert refused.value.retry_after_seconds == (27 * DAY).total_seconds()  # T0 + DAY + 30 days
    ensure_may_reset_device(resets[:2], 3, T0 + 4 * DAY)


async def test_R27_past_the_limit_the_route_answers_429_with_retry_after(seats):
    key = await ann_key(seats)
    async with seats.client(ANN) as http:
        for n in range(4):
            await activate(seats, key, f"laptop-{n}")
            answer = await http.post(f"/subscriptions/{SUBSCRIPTION_ID}/keys/{key.key_id}/deactivation")
            if n < 3:
                assert answer.status_code == 200, answer.text
        assert (answer.status_code, answer.json()["code"]) == (429, "device_resets_exceeded")
        assert answer.headers["Retry-After"] == str(int((30 * DAY).total_seconds()))
