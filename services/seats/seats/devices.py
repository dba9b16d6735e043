"""Handlers for node-locked seats (R27): one key per seat, activated by an assigned person on
one device, deactivated by its holder or the administrator, and every key released when its
holder loses their seat (R24) or the subscription ends (R28)."""
from __future__ import annotations

import secrets
from datetime import datetime

from contracts.errors import not_found
from contracts.values import LicenceType
from seats.domain import SeatPool
from seats.domain.devices import ActivationKey, format_key, keys_to_retire
from seats.domain.leases import ensure_may_take_seat
from seats.domain.users import SeatUser
from seats.key_store import KeyRepository
from seats.people_store import PeopleRepository
from seats.store import SeatPoolRepository
from servicekit.http.auth import Caller
from servicekit.http.pagination import PageRequest
from servicekit.store.uow import UnitOfWork


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


async def list_keys(subscription_id: str, caller: Caller, uow: UnitOfWork,
                    page: PageRequest | None = None) -> list[ActivationKey]:
    """R27: the administrator sees the device each key is active on (and who activated it)."""
    pool = await SeatPoolRepository(uow.conn).get(subscription_id)
    pool.ensure_administered_by(caller.person_id, caller.account_id)
    repo = KeyRepository(uow.conn)
    return await (repo.page(subscription_id, page) if page else repo.keys_of(subscription_id))


async def activate(subscription_id: str, key_id: str, device_id: str, device_name: str, caller: Caller,
                   uow: UnitOfWork) -> ActivationKey:
    """R27: a person assigned to the pool binds a key to their device."""
    pool = await SeatPoolRepository(uow.conn).get(subscription_id, lock=True)
    ensure_may_take_seat(pool, await PeopleRepository(uow.conn).standing(pool, caller), LicenceType.NODE_LOCKED,
                         rule="R27")
    repo = KeyRepository(uow.conn)
    key = await repo.get(subscription_id, key_id)
    theirs = await repo.held_by(subscription_id, caller.person_id, caller.email)
    await uow.publish(key.activate(device_id, device_name, caller.person_id, caller.email, theirs,
                                   pool.keys_per_person, uow.now()))
    await repo.save(key)
    return key


async def deactivate(subscription_id: str, key_id: str, caller: Caller, uow: UnitOfWork) -> ActivationKey:
    """R27: its holder (to move it) or the administrator; to anyone else the key is not found."""
    pool = await SeatPoolRepository(uow.conn).get(subscription_id, lock=True)
    standing = await PeopleRepository(uow.conn).standing(pool, caller)
    if not (standing.is_administrator or standing.is_listed):
        raise not_found("subscription", subscription_id)
    pool.ensure_unlocked_for(LicenceType.NODE_LOCKED, rule="R27")
    repo = KeyRepository(uow.conn)
    key = await repo.get(subscription_id, key_id)
    key.ensure_may_deactivate(caller.person_id, standing.is_administrator)
    await uow.publish(key.deactivate(uow.now()))
    await repo.save(key)
    return key


async def deactivate_all(pool: SeatPool, uow: UnitOfWork, at: datetime) -> None:
    """R28: every device activation is revoked, each with its DeviceDeactivated."""
    repo = KeyRepository(uow.conn)
    for key in await repo.keys_of(pool.subscription_id):
        if key.is_active:
            await uow.publish(key.deactivate(at, reason="ended"))
            await repo.save(key)


async def deactivate_keys_of(pool: SeatPool, user: SeatUser, uow: UnitOfWork, at: datetime) -> None:
    """R24: a user who loses their seat loses every key they activated, at once, each with its
    DeviceDeactivated."""
    repo = KeyRepository(uow.conn)
    for key in await repo.held_by(pool.subscription_id, user.person_id, user.email):
        await uow.publish(key.deactivate(at, reason="unassigned"))
        await repo.save(key)
