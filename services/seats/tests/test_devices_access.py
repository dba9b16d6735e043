"""Node-locked keys (R27), revocation at the end (R28) and the access query (R21–R28)."""

from __future__ import annotations

from datetime import timedelta

import pytest

from contracts.errors import RuleViolation
from contracts.testing import ADA, SUBSCRIPTION_ID
from contracts.values import LicenceType
from seats.domain.users import NewUser
from seats.handlers import devices, leases, pools, users
from seats.handlers.access import check_access
from servicekit.http.auth import Caller

from .conftest import T0
from .test_handlers import INVITATIONS, activated, caller, command, ended, purchased, tier_changed, types

NODE_LOCKED = {"licence_type": LicenceType.NODE_LOCKED}
ANN = Caller(person_id="p-ann", account_id="ann-account", email="ann@example.com")
BOB = Caller(person_id="p-bob", account_id="bob-account", email="bob@example.com")
STRANGER = Caller(person_id="p-eve", account_id="eve-account", email="eve@example.com")


async def node_locked_pool(seats, quantity=2, assign=(ANN,), listed=()):
    """A node-locked pool whose users `assign` hold seats and `listed` are users without one."""
    await seats.deliver(
        purchased(quantity).model_copy(update=NODE_LOCKED), activated(quantity).model_copy(update=NODE_LOCKED)
    )
    for who, assigned in [(w, True) for w in assign] + [(w, False) for w in listed]:
        await command(
            seats,
            users.add_users,
            SUBSCRIPTION_ID,
            [NewUser(who.email, who.email[:3].title(), "Tester")],
            assigned,
            INVITATIONS,
            caller(),
        )
    return await command(seats, devices.list_keys, SUBSCRIPTION_ID, caller())


async def activate(seats, key, device, who=ANN):
    return await command(seats, devices.activate, SUBSCRIPTION_ID, key.key_id, device, f"{device}'s laptop", who)


async def deactivate(seats, key, who=ANN):
    return await command(seats, devices.deactivate, SUBSCRIPTION_ID, key.key_id, who)


async def refusal(attempt) -> RuleViolation:
    with pytest.raises(RuleViolation) as refused:
        await attempt
    return refused.value


async def access(seats, asker: Caller = None, **who):
    async with seats.uow() as uow:
        return await check_access(uow, "designer", seats.clock.now(), asker or caller(), **who)


async def test_R27_one_key_per_seat_bound_to_one_device_moved_only_after_deactivation(seats):
    keys = await node_locked_pool(seats)
    assert len(keys) == 2 and len({k.key_id for k in keys}) == 2
    await activate(seats, keys[0], "dev-a")
    refused = await refusal(activate(seats, keys[0], "dev-b"))
    assert (refused.code, refused.rule) == ("key_in_use", "R27")
    await deactivate(seats, keys[0])
    await activate(seats, keys[0], "dev-b")
    assert types(await seats.published())[-3:] == [
        "seats.device_activated",
        "seats.device_deactivated",
        "seats.device_activated",
    ]
    listed = await command(seats, devices.list_keys, SUBSCRIPTION_ID, caller())
    assert [(k.device_id, k.device_name, k.person_id) for k in listed] == [
        ("dev-b", "dev-b's laptop", ANN.person_id),
        (None, None, None),
    ]
    assert [e["data"].get("person_id") for e in await seats.published() if e["type"] == "seats.device_activated"] == [
        ANN.person_id
    ] * 2


async def test_R27_activating_a_key_needs_an_assignment(seats):
    keys = await node_locked_pool(seats, assign=(), listed=(ANN,))
    for unassigned in (ANN, caller()):  # a listed user, and the administrator, without a seat
        refused = await refusal(activate(seats, keys[0], "dev-a", unassigned))
        assert (refused.code, refused.rule, refused.refusal.value) == ("no_seat_assigned", "R24", "forbidden")
    refused = await refusal(activate(seats, keys[0], "dev-a", STRANGER))
    assert (refused.code, refused.refusal.value) == ("subscription_not_found", "not_found")


async def test_R27_one_person_holds_one_key_per_device_and_the_policy_limits_their_keys(seats):
    keys = await node_locked_pool(seats, quantity=3)
    await activate(seats, keys[0], "dev-a")
    refused = await refusal(activate(seats, keys[1], "dev-a"))
    assert (refused.code, refused.rule) == ("device_has_your_key", "R27")
    refused = await refusal(activate(seats, keys[1], "dev-b"))  # the default policy: one key a person
    assert (refused.code, refused.rule) == ("keys_per_person_reached", "R27")
    await command(seats, pools.set_policy, SUBSCRIPTION_ID, 2, caller())
    await activate(seats, keys[1], "dev-b")
    refused = await refusal(activate(seats, keys[2], "dev-c"))
    assert refused.code == "keys_per_person_reached"


async def test_R27_only_the_holder_or_the_administrator_deactivates_a_key(seats):
    keys = await node_locked_pool(seats, assign=(ANN, BOB))
    await activate(seats, keys[0], "dev-a", ANN)
    refused = await refusal(deactivate(seats, keys[0], BOB))
    unknown = await refusal(command(seats, devices.deactivate, SUBSCRIPTION_ID, "0000-0000-0000-0000", BOB))
    assert (
        (refused.code, refused.refusal.value)
        == (unknown.code, unknown.refusal.value)
        == ("activation key_not_found", "not_found")
    )  # not yours answers as does not exist
    assert (await deactivate(seats, keys[0], caller())).is_active is False  # the administrator may
    await activate(seats, keys[1], "dev-a", BOB)  # keys[0] is kept for Ann, keys[1] for Bob (R41)
    await deactivate(seats, keys[1], BOB)


async def test_R24_unassigning_a_user_deactivates_their_keys_at_once_with_an_event_each(seats):
    keys = await node_locked_pool(seats, assign=(ANN, BOB))
    await activate(seats, keys[0], "dev-a", ANN)
    await activate(seats, keys[1], "dev-b", BOB)
    ann = next(u for u in await _users(seats) if u.email == ANN.email)
    await command(seats, users.unassign_users, SUBSCRIPTION_ID, [ann.user_id], caller())
    [gone] = [e["data"] for e in await seats.published() if e["type"] == "seats.device_deactivated"]
    assert (gone["device_id"], gone["person_id"], gone["reason"]) == ("dev-a", ANN.person_id, "unassigned")
    assert (await access(seats, ANN, device_id="dev-a")).allowed is False
    assert (await access(seats, BOB, device_id="dev-b")).allowed is True
    refused = await refusal(activate(seats, keys[0], "dev-a", ANN))
    assert refused.code == "no_seat_assigned"


async def test_R27_an_increase_adds_keys_for_the_new_seats(seats):
    await node_locked_pool(seats, quantity=2)
    await command(seats, pools.change_quantity, SUBSCRIPTION_ID, 4, caller())
    assert len(await command(seats, devices.list_keys, SUBSCRIPTION_ID, caller())) == 4


async def test_R28_the_end_revokes_every_device_activation_with_an_event_each(seats):
    keys = await node_locked_pool(seats, assign=(ANN, BOB))
    await activate(seats, keys[0], "dev-a", ANN)
    await activate(seats, keys[1], "dev-b", BOB)
    published = await seats.deliver(ended("cancelled", at=T0 + timedelta(days=365)))
    gone = [e["data"] for e in published if e["type"] == "seats.device_deactivated"]
    assert sorted((g["device_id"], g["reason"]) for g in gone) == [("dev-a", "ended"), ("dev-b", "ended")]
    assert (await access(seats, device_id="dev-a")).allowed is False


async def test_R24_R28_access_follows_the_named_seat_assigned_unassigned_and_revoked(seats):
    await seats.deliver(purchased(2), activated(2))
    [ann] = await command(
        seats, users.add_users, SUBSCRIPTION_ID, [NewUser("ann@example.com", "Ann", "A")], True, INVITATIONS, caller()
    )
    answer = await access(seats, email="ANN@example.com")
    assert (answer.allowed, answer.tier, answer.licence_type, answer.subscription_id) == (
        True,
        "premium",
        "named_user",
        SUBSCRIPTION_ID,
    )
    await seats.deliver(tier_changed())
    assert (await access(seats, email="ann@example.com")).tier == "premium_plus"
    await command(seats, users.unassign_users, SUBSCRIPTION_ID, [ann.user_id], caller())
    assert (await access(seats, email="ann@example.com")).allowed is False
    await command(seats, users.assign_users, SUBSCRIPTION_ID, [ann.user_id], caller())
    await seats.deliver(ended("terminated", at=T0 + timedelta(days=2)))
    refused = await access(seats, email="ann@example.com")
    assert (refused.allowed, refused.tier) == (False, None) and "No seat" in refused.reason


async def test_R26_access_by_person_id_needs_a_live_lease(seats):
    floating = {"licence_type": LicenceType.FLOATING}
    await seats.deliver(purchased(1).model_copy(update=floating), activated(1).model_copy(update=floating))
    await command(
        seats, users.add_users, SUBSCRIPTION_ID, [NewUser(ANN.email, "Ann", "A")], True, INVITATIONS, caller()
    )
    assert (await access(seats, user_id=ANN.person_id)).allowed is False
    await command(seats, leases.acquire, SUBSCRIPTION_ID, ANN, None)
    assert (await access(seats, user_id=ANN.person_id)).licence_type == "floating"
    assert (await access(seats, ANN, user_id=ANN.person_id)).licence_type == "floating"
    seats.clock.advance(timedelta(hours=1))
    assert (await access(seats, user_id=ANN.person_id)).allowed is False


async def test_R21_a_locked_pool_grants_nothing_and_the_query_needs_someone(seats):
    await seats.deliver(purchased(2))
    assert (await access(seats, email="x@example.com")).allowed is False
    with pytest.raises(RuleViolation):
        await access(seats)


@pytest.mark.parametrize("licence", ["named_user", "node_locked"])
async def test_R6_access_is_told_only_to_the_person_and_to_the_administrator_of_their_subscription(seats, licence):
    if licence == "named_user":
        await seats.deliver(purchased(2), activated(2))
        await command(
            seats, users.add_users, SUBSCRIPTION_ID, [NewUser(ANN.email, "Ann", "A")], True, INVITATIONS, caller()
        )
        who = {"email": ANN.email}
    else:
        [key, _] = await node_locked_pool(seats, assign=(ANN,))
        await activate(seats, key, "dev-a", ANN)
        who = {"device_id": "dev-a"}
    nobody = await access(seats, STRANGER, email="nobody@example.com")
    assert (await access(seats, ANN, **who)).allowed is True  # about themselves
    assert (await access(seats, caller(), **who)).allowed is True  # the administrator of their subscription
    for outsider in (STRANGER, BOB, caller(ADA, "other-account")):
        assert await access(seats, outsider, **who) == nobody  # the answer for no one at all: no oracle
    assert nobody.allowed is False


async def test_R27_an_assignment_in_a_node_locked_pool_grants_access_only_on_an_activated_device(seats):
    await node_locked_pool(seats, assign=(ANN,))
    assert (await access(seats, ANN, email=ANN.email)).allowed is False


async def _users(seats):
    async with seats.uow() as uow:
        return (await users.list_users(SUBSCRIPTION_ID, caller(), uow))[1]
