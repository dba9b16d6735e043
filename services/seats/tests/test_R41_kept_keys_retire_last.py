"""R41, R25: a decrease of a node-locked pool retires inactive keys kept for nobody before any
key kept for a user (one sent to them in their licence e-mail). The rule alone, then through
the handlers on SQLite and PostgreSQL."""

from __future__ import annotations

from datetime import timedelta

from contracts.testing import SUBSCRIPTION_ID, T0
from contracts.values import LicenceType
from seats.domain.devices import ActivationKey, keys_to_retire
from seats.handlers import devices, pools

from .test_handlers import TERM_END, caller
from .test_R41_licence_email import DESKTOP, add, assignments, command, open_pool, seats_on_both_databases
from .test_software_api import ANN, BOB

__all__ = ["seats_on_both_databases"]  # the `seats` fixture, on both databases


def key(key_id: str, days: int = 0, device: str | None = None) -> ActivationKey:
    return ActivationKey(key_id, SUBSCRIPTION_ID, "acc-1", T0 + timedelta(days=days), device_id=device)


def test_R41_a_decrease_retires_keys_kept_for_nobody_first_newest_first():
    keys = [key("K1", 0), key("K2", 1), key("K3", 2), key("K4", 3)]
    retired = keys_to_retire(keys, 2, kept={"K3", "K4"})  # the newest two are kept for users
    assert [k.key_id for k in retired] == ["K2", "K1"]


def test_R41_R25_kept_keys_go_only_when_no_other_inactive_key_is_left_and_active_ones_never():
    keys = [key("K1", 0), key("K2", 1, device="dev"), key("K3", 2), key("K4", 3)]
    retired = keys_to_retire(keys, 1, kept={"K1", "K4"})
    assert [k.key_id for k in retired] == ["K3", "K4", "K1"]
    assert keys_to_retire(keys, 4, kept={"K1"}) == []


def test_R25_without_kept_keys_the_newest_inactive_keys_go_first_as_before():
    keys = [key("K1", 0), key("K2", 1), key("K3", 2, device="dev")]
    assert [k.key_id for k in keys_to_retire(keys, 1)] == ["K2", "K1"]


async def test_R41_R25_a_decrease_keeps_the_key_sent_to_a_user_and_retires_a_free_one(seats):
    await open_pool(seats, LicenceType.NODE_LOCKED, DESKTOP, quantity=3)
    await command(seats, pools.set_policy, SUBSCRIPTION_ID, 2, caller())  # Ann may hold two keys (R27)
    await add(seats, ANN)
    [first, free, last] = await command(seats, devices.list_keys, SUBSCRIPTION_ID, caller())  # by age and id
    # Ann's second key is active while Bob is assigned: the newest key is kept for him...
    await command(seats, devices.activate, SUBSCRIPTION_ID, free.key_id, "dev-a2", "Ann's other", ANN)
    await add(seats, BOB)
    ann, bob = await assignments(seats)
    assert (ann["activation_key"], bob["activation_key"]) == (first.key_id, last.key_id)
    # ...then freed by the administrator: it is now the only key kept for nobody.
    await command(seats, devices.deactivate, SUBSCRIPTION_ID, free.key_id, caller())
    await command(seats, pools.change_quantity, SUBSCRIPTION_ID, 2, caller())
    seats.clock.set(TERM_END)
    await seats.fire_due()
    assert (await seats.pool(SUBSCRIPTION_ID)).quantity == 2
    left = await command(seats, devices.list_keys, SUBSCRIPTION_ID, caller())
    assert sorted(k.key_id for k in left) == sorted([first.key_id, last.key_id])
    assert (await command(seats, devices.activate, SUBSCRIPTION_ID, last.key_id, "dev-b", "Bob's", BOB)).is_active
