"""Node-locked keys (R27), revocation at the end (R28) and the access query (R21–R28)."""
from __future__ import annotations

from datetime import timedelta

import pytest

from contracts.errors import RuleViolation
from contracts.values import LicenceType
from seats import devices, handlers, leases, users
from seats.access import check_access
from seats.domain.users import NewUser

from .conftest import T0
from .test_handlers import SID, activated, caller, command, ended, purchased, tier_changed, types

NODE_LOCKED = {"licence_type": LicenceType.NODE_LOCKED}


async def node_locked_pool(seats, quantity=2):
    await seats.deliver(purchased(quantity).model_copy(update=NODE_LOCKED),
                        activated(quantity).model_copy(update=NODE_LOCKED))
    return await command(seats, devices.list_keys, SID, caller())


async def activate(seats, key, device):
    return await command(seats, devices.activate, SID, key.key_id, device, f"{device}'s laptop", caller())


async def access(seats, **who):
    async with seats.runtime.db.connect() as conn:
        return await check_access(conn, "designer", seats.clock.now(), **who)


async def test_R27_one_key_per_seat_bound_to_one_device_moved_only_after_deactivation(seats):
    keys = await node_locked_pool(seats)
    assert len(keys) == 2 and len({k.key_id for k in keys}) == 2
    await activate(seats, keys[0], "dev-a")
    with pytest.raises(RuleViolation) as refused:
        await activate(seats, keys[0], "dev-b")
    assert (refused.value.code, refused.value.rule) == ("key_in_use", "R27")
    await command(seats, devices.deactivate, SID, keys[0].key_id, caller())
    await activate(seats, keys[0], "dev-b")
    assert types(await seats.published())[-3:] == ["seats.device_activated", "seats.device_deactivated",
                                                   "seats.device_activated"]
    listed = await command(seats, devices.list_keys, SID, caller())
    assert [(k.device_id, k.device_name) for k in listed] == [("dev-b", "dev-b's laptop"), (None, None)]


async def test_R27_deactivating_a_key_that_is_not_active_is_refused(seats):
    keys = await node_locked_pool(seats)
    with pytest.raises(RuleViolation) as refused:
        await command(seats, devices.deactivate, SID, keys[1].key_id, caller())
    assert refused.value.rule == "R27"


async def test_R27_an_increase_adds_keys_for_the_new_seats(seats):
    await node_locked_pool(seats, quantity=2)
    await command(seats, handlers.change_quantity, SID, 4, caller())
    assert len(await command(seats, devices.list_keys, SID, caller())) == 4


async def test_R28_the_end_revokes_every_device_activation_with_an_event_each(seats):
    keys = await node_locked_pool(seats)
    await activate(seats, keys[0], "dev-a")
    await activate(seats, keys[1], "dev-b")
    published = await seats.deliver(ended("cancelled", at=T0 + timedelta(days=365)))
    assert sorted(e["data"]["device_id"] for e in published if e["type"] == "seats.device_deactivated") == \
        ["dev-a", "dev-b"]
    assert (await access(seats, device_id="dev-a")).allowed is False


async def test_R24_R28_access_follows_the_named_seat_assigned_unassigned_and_revoked(seats):
    await seats.deliver(purchased(2), activated(2))
    [ann] = await command(seats, users.add_users, SID, [NewUser("ann@example.com", "Ann", "A")], True,
                          "https://id", caller())
    answer = await access(seats, email="ANN@example.com")
    assert (answer.allowed, answer.tier, answer.licence_type, answer.subscription_id) == \
        (True, "premium", "named_user", SID)
    await seats.deliver(tier_changed())
    assert (await access(seats, email="ann@example.com")).tier == "premium_plus"
    await command(seats, users.unassign_users, SID, [ann.user_id], caller())
    assert (await access(seats, email="ann@example.com")).allowed is False
    await command(seats, users.assign_users, SID, [ann.user_id], caller())
    await seats.deliver(ended("terminated", at=T0 + timedelta(days=2)))
    refused = await access(seats, email="ann@example.com")
    assert (refused.allowed, refused.tier) == (False, None) and "No seat" in refused.reason


async def test_R26_access_by_person_id_needs_a_live_lease(seats):
    floating = {"licence_type": LicenceType.FLOATING}
    await seats.deliver(purchased(1).model_copy(update=floating), activated(1).model_copy(update=floating))
    assert (await access(seats, user_id="p-admin")).allowed is False
    await command(seats, leases.acquire, SID, caller(), None)
    assert (await access(seats, user_id="p-admin")).licence_type == "floating"
    seats.clock.advance(timedelta(hours=1))
    assert (await access(seats, user_id="p-admin")).allowed is False


async def test_R21_a_locked_pool_grants_nothing_and_the_query_needs_someone(seats):
    await seats.deliver(purchased(2))
    assert (await access(seats, email="x@example.com")).allowed is False
    with pytest.raises(RuleViolation):
        await access(seats)
