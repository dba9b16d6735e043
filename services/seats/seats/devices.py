"""Handlers for node-locked seats (R27): one key per seat, activation on one device,
deactivation to move it, and every key released at the end (R28)."""
from __future__ import annotations

import secrets
from datetime import datetime

from contracts.values import LicenceType
from seats.domain import SeatPool
from seats.domain.devices import ActivationKey, format_key, keys_to_retire
from seats.domain.leases import ensure_may_use
from seats.key_store import KeyRepository
from seats.people_store import PeopleRepository
from seats.store import SeatPoolRepository
from servicekit.auth import Caller
from servicekit.uow import UnitOfWork


async def provide_keys(pool: SeatPool, uow: UnitOfWork) -> None:
    """One key per seat in force: new keys for an increase, spare keys retired by a decrease."""
    if pool.licence_type is not LicenceType.NODE_LOCKED:
        return
    repo = KeyRepository(uow.conn)
    keys = await repo.keys_of(pool.subscription_id)
    missing = pool.quantity - len(keys)
    await repo.add_all([ActivationKey(key_id=format_key(secrets.token_hex(8)), subscription_id=pool.subscription_id,
                                      account_id=pool.account_id, created_at=uow.now()) for _ in range(missing)])
    await repo.remove(keys_to_retire(keys, pool.quantity))


async def list_keys(subscription_id: str, caller: Caller, uow: UnitOfWork) -> list[ActivationKey]:
    """R27: the administrator sees the device each key is active on."""
    pool = await SeatPoolRepository(uow.conn).get(subscription_id)
    pool.ensure_administered_by(caller.person_id, caller.account_id)
    return await KeyRepository(uow.conn).keys_of(subscription_id)


async def activate(subscription_id: str, key_id: str, device_id: str, device_name: str, caller: Caller,
                   uow: UnitOfWork) -> ActivationKey:
    key = await _usable_key(subscription_id, key_id, caller, uow)
    await uow.publish(key.activate(device_id, device_name, uow.now()))
    await KeyRepository(uow.conn).save(key)
    return key


async def deactivate(subscription_id: str, key_id: str, caller: Caller, uow: UnitOfWork) -> ActivationKey:
    key = await _usable_key(subscription_id, key_id, caller, uow)
    await uow.publish(key.deactivate(uow.now()))
    await KeyRepository(uow.conn).save(key)
    return key


async def deactivate_all(pool: SeatPool, uow: UnitOfWork, at: datetime) -> None:
    """R28: every device activation is revoked, each with its DeviceDeactivated."""
    repo = KeyRepository(uow.conn)
    for key in await repo.keys_of(pool.subscription_id):
        if key.is_active:
            await uow.publish(key.deactivate(at))
            await repo.save(key)


async def _usable_key(subscription_id: str, key_id: str, caller: Caller, uow: UnitOfWork) -> ActivationKey:
    pool = await SeatPoolRepository(uow.conn).get(subscription_id, lock=True)
    listed = await PeopleRepository(uow.conn).is_listed(subscription_id, caller.person_id, caller.email)
    ensure_may_use(pool, caller.person_id, caller.account_id, listed, rule="R27")
    pool.ensure_unlocked_for(LicenceType.NODE_LOCKED, rule="R27")
    return await KeyRepository(uow.conn).get(subscription_id, key_id)
