"""Node-locked licence files (issue 14, R27): an activation key bound to the fingerprint of the
machine a product runs on, handed back as a signed file the product verifies offline until the
term end plus the 10 days to renew (R48).

Activating is the devices rule (`handlers.devices.activate`, R27): the key must be free, or
already active on this same fingerprint, in which case the file is issued again (a reinstall).
Moving it elsewhere is a deactivation first; a deactivated or revoked key is refused at the
product's next online check (`GET /access?device_id=<fingerprint>`)."""

from __future__ import annotations

import secrets
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from contracts.errors import RuleViolation, not_found
from contracts.values import LicenceType
from seats.adapters.signing import EntitlementSigner
from seats.domain.access import decide
from seats.domain.entitlements import claims, licence_file, not_after
from seats.domain.suspensions import ensure_not_suspended, next_start
from seats.handlers import devices
from seats.store.uow import SeatsUnitOfWork
from servicekit.http.auth import Caller


@dataclass(frozen=True)
class LicenceFile:
    text: str  # -----BEGIN ENTITLE LICENCE FILE----- ...
    entitlement: str  # the compact JWS it holds
    claims: dict[str, Any]
    not_after: datetime


async def issue(
    key_text: str, fingerprint: str, device_name: str, caller: Caller, signer: EntitlementSigner, uow: SeatsUnitOfWork
) -> LicenceFile:
    """R27: a person assigned to the key's pool activates it on this fingerprint (the device id),
    or gets the file again when it is already active there (its holder or the administrator).
    To anyone who is neither a user nor the administrator of its subscription the key does not
    exist, as an unknown key. No file, new or again, while billing suspends the subscription's
    period in force for an overdue invoice (issue 15, 403 `payment_overdue`); a file issued
    before a suspension that is known to come ends where it starts."""
    subscription_id = await uow.keys.subscription_of(key_text)
    if subscription_id is None:
        raise not_found("activation key", key_text)
    pool = await uow.pools.get(subscription_id)
    standing = await uow.users.standing(pool, caller)
    if not (standing.is_administrator or standing.is_listed):
        raise not_found("activation key", key_text)
    key = await uow.keys.get(subscription_id, key_text)
    now = uow.now()
    suspended = await uow.payment_suspensions.not_ended([subscription_id], now)
    if key.is_active and key.device_id == fingerprint:
        pool.ensure_unlocked_for(LicenceType.NODE_LOCKED, rule="R27")
        key.ensure_may_deactivate(caller.person_id, standing.is_administrator)  # its holder, or the administrator
        ensure_not_suspended(suspended, subscription_id, now)
    else:
        key = await devices.activate(subscription_id, key.key_id, fingerprint, device_name, caller, uow)
    grants = await uow.access.grants(
        pool.product, now, user_id=None, email=None, device_id=fingerprint, about_asker=False, asker_id=caller.person_id
    )
    answer = decide([g for g in grants if g.key_id == key.key_id], pool.product, suspended, now)
    if not answer.allowed:  # not in force, or suspended: ensure_unlocked_for / ensure_not_suspended refused it
        raise RuleViolation("no_seat_in_force", f"Key {key.key_id} grants no access now.", rule="R27")
    until = not_after(answer.grant, now, signer.offline_allowance)
    if (suspended_from := next_start(suspended, subscription_id, now)) is not None:
        until = min(until, suspended_from)
    found = claims(answer, pool.product, now, until, secrets.token_hex(16))
    jws = signer.sign(found)
    return LicenceFile(licence_file(jws), jws, found, until)
