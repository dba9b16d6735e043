"""Handlers for node-locked seats (R27): one key per seat, activated by an assigned person on
one device, deactivated by its holder or the administrator, and every key released when its
holder loses their seat (R24) or the subscription ends (R28)."""

from __future__ import annotations

import secrets
from datetime import datetime

from contracts.errors import not_found
from contracts.values import LicenceType
from seats.domain.devices import (
    DEFAULT_RESETS_PER_WINDOW,
    RESET_WINDOW,
    ActivationKey,
    ensure_may_reset_device,
    format_key,
    keys_to_retire,
)
from seats.domain.leases import ensure_may_take_seat
from seats.domain.pools import SeatPool
from seats.domain.suspensions import ensure_not_suspended
from seats.domain.users import SeatUser
from seats.handlers import kept_keys
from seats.store.uow import SeatsUnitOfWork
from servicekit.http.auth import Caller
from servicekit.http.pagination import PageRequest


async def provide_keys(pool: SeatPool, uow: SeatsUnitOfWork) -> None:
    """One key per seat in force: new keys for an increase, spare keys retired by a decrease."""
    if pool.licence_type is not LicenceType.NODE_LOCKED:
        return
    keys = await uow.keys.keys_of(pool.subscription_id)
    missing = pool.quantity - len(keys)
    await uow.keys.add_all(
        [
            ActivationKey(
                key_id=format_key(secrets.token_hex(8)),
                subscription_id=pool.subscription_id,
                account_id=pool.account_id,
                created_at=uow.now(),
            )
            for _ in range(missing)
        ]
    )
    if len(keys) > pool.quantity:  # R41: keys kept for nobody are retired first
        kept = await uow.kept_keys.kept_in(pool.subscription_id)
        await uow.keys.remove(keys_to_retire(keys, pool.quantity, kept))


async def list_keys(
    subscription_id: str, caller: Caller, uow: SeatsUnitOfWork, page: PageRequest | None = None
) -> list[ActivationKey]:
    """R27: the administrator sees the device each key is active on (and who activated it)."""
    pool = await uow.pools.get(subscription_id)
    pool.ensure_administered_by(caller.person_id, caller.account_id)
    return await (uow.keys.page(subscription_id, page) if page else uow.keys.keys_of(subscription_id))


async def activate(
    subscription_id: str, key_id: str, device_id: str, device_name: str, caller: Caller, uow: SeatsUnitOfWork
) -> ActivationKey:
    """R27: a person assigned to the pool binds a key to their device; not while billing
    suspends the pool's period in force for an overdue invoice (issue 15, 403 `payment_overdue`)."""
    pool = await uow.pools.get(subscription_id, lock=True)
    ensure_may_take_seat(pool, await uow.users.standing(pool, caller), LicenceType.NODE_LOCKED, rule="R27")
    now = uow.now()
    ensure_not_suspended(await uow.payment_suspensions.not_ended([subscription_id], now), subscription_id, now)
    key = await uow.keys.get(subscription_id, key_id)
    await kept_keys.ensure_may_activate(subscription_id, key.key_id, caller, uow)  # R41
    theirs = await uow.keys.held_by(subscription_id, caller.person_id, caller.email)
    await uow.publish(
        key.activate(device_id, device_name, caller.person_id, caller.email, theirs, pool.keys_per_person, uow.now())
    )
    await uow.keys.save(key)
    return key


async def deactivate(
    subscription_id: str,
    key_id: str,
    caller: Caller,
    uow: SeatsUnitOfWork,
    resets_per_30_days: int = DEFAULT_RESETS_PER_WINDOW,
) -> ActivationKey:
    """R27: its holder (to move it) or the administrator; to anyone else the key is not found.
    The administrator resets any device of their subscription; the holder their own, at most
    `resets_per_30_days` times in 30 days (issue 14), counted per person across subscriptions.
    A refused reset leaves nothing counted (the transaction rolls back)."""
    pool = await uow.pools.get(subscription_id, lock=True)
    standing = await uow.users.standing(pool, caller)
    if not (standing.is_administrator or standing.is_listed):
        raise not_found("subscription", subscription_id)
    pool.ensure_unlocked_for(LicenceType.NODE_LOCKED, rule="R27")
    key = await uow.keys.get(subscription_id, key_id)
    key.ensure_may_deactivate(caller.person_id, standing.is_administrator)
    now = uow.now()
    if not standing.is_administrator:
        since = now - RESET_WINDOW
        ensure_may_reset_device(await uow.keys.resets_since(caller.person_id, since), resets_per_30_days, now)
        await uow.keys.record_reset(caller.person_id, key, now, forget_before=since)
    await uow.publish(key.deactivate(now))
    await uow.keys.save(key)
    return key


async def deactivate_all(pool: SeatPool, uow: SeatsUnitOfWork, at: datetime) -> None:
    """R28: every device activation is revoked, each with its DeviceDeactivated."""
    for key in await uow.keys.keys_of(pool.subscription_id):
        if key.is_active:
            await uow.publish(key.deactivate(at, reason="ended"))
            await uow.keys.save(key)


async def deactivate_keys_of(pool: SeatPool, user: SeatUser, uow: SeatsUnitOfWork, at: datetime) -> None:
    """R24: a user who loses their seat loses every key they activated, at once, each with its
    DeviceDeactivated."""
    for key in await uow.keys.held_by(pool.subscription_id, user.person_id, user.email):
        await uow.publish(key.deactivate(at, reason="unassigned"))
        await uow.keys.save(key)
