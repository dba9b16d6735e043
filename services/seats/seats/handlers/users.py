"""Handlers for the users of a subscription: add and invite (R22), assign (R25) with the licence
e-mail's facts (R41), resend invitations (R22), unassign (R24, R10), and registration seen from
identity."""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import datetime, timedelta

from contracts.errors import Refusal, RuleViolation
from contracts.identity import PersonRegistered
from contracts.seats import SeatAssigned
from contracts.values import Contact, LicenceType
from seats.domain.pools import Assignment, SeatPool
from seats.domain.users import (
    NewUser,
    SeatUser,
    UserStatus,
    check_new_users,
    normalise_email,
    select_for_resend,
    unassignment,
)
from seats.handlers import devices, fallbacks, leases
from seats.store.uow import SeatsUnitOfWork
from servicekit.http.auth import Caller
from servicekit.store.ratelimit import RateLimit

DEFAULT_INVITATIONS_PER_HOUR = 2000
# One request names at most this many people to write to (a resend, an assignment, an
# unassignment); adding users is capped by its body (1,000) and an import by its rows.
MAX_RECIPIENTS_PER_REQUEST = 1000
TRANSFERRED = "transferred"  # why a previous administrator's lease or key was taken back (R38)


@dataclass(frozen=True)
class Invitations:
    """Where invitation links lead (identity's registration page, R22) and how many invitation
    e-mails one account may cause per hour. Every route that invites counts against the limit
    in its own transaction, so a refused command counts nothing (issue 11: routes that send
    e-mail were unbounded)."""

    identity_url: str
    per_account_per_hour: int = DEFAULT_INVITATIONS_PER_HOUR

    @property
    def limit(self) -> RateLimit:
        return RateLimit(
            "invitation_emails_per_account",
            self.per_account_per_hour,
            timedelta(hours=1),
            f"This account may send {self.per_account_per_hour} invitation e-mails an hour and has reached that.",
            rule="R22",
        )

    async def allowance(self, uow: SeatsUnitOfWork, account_id: str) -> int:
        """How many more invitations the account may send in the current hour."""
        return max(self.per_account_per_hour - await self.limit.used(uow.conn, account_id, uow.now()), 0)

    def next_window(self, uow: SeatsUnitOfWork) -> datetime:
        return self.limit.window_of(uow.now())[1]


def ensure_few_recipients(count: int, what: str) -> None:
    if count > MAX_RECIPIENTS_PER_REQUEST:
        raise RuleViolation(
            "too_many_recipients",
            f"{count} users {what}; one request may name at most "
            f"{MAX_RECIPIENTS_PER_REQUEST}: narrow the selection and send several.",
            rule="R22",
            refusal=Refusal.INVALID,
        )


@dataclass(frozen=True)
class ResendSelection:
    user_ids: list[str] | None = None
    everyone: bool = False
    status: UserStatus | None = None
    text: str | None = None


async def administered_pool(subscription_id: str, caller: Caller, uow: SeatsUnitOfWork, lock: bool = False) -> SeatPool:
    pool = await uow.pools.get(subscription_id, lock=lock)
    pool.ensure_administered_by(caller.person_id, caller.account_id)
    return pool


async def list_users(subscription_id: str, caller: Caller, uow: SeatsUnitOfWork) -> tuple[SeatPool, list[SeatUser]]:
    pool = await administered_pool(subscription_id, caller, uow)
    return pool, await uow.users.users_of(subscription_id)


async def add_users(
    subscription_id: str,
    new: list[NewUser],
    assign: bool,
    invitations: Invitations,
    caller: Caller,
    uow: SeatsUnitOfWork,
) -> list[SeatUser]:
    """R22: every new user is listed and invited (unless already registered); R25: seats are
    assigned only when asked and only if enough are free, all or none."""
    pool = await administered_pool(subscription_id, caller, uow, lock=True)
    pool.ensure_usable()
    check_new_users(new, await uow.users.listed_emails(subscription_id))
    users = await _new_users(pool, new, uow)
    await uow.users.add_all(users)
    await invite_new(pool, users, invitations, uow)
    if assign:
        await _assign(pool, users, uow)
    return users


async def add_imported(pool: SeatPool, new: list[NewUser], invitations: Invitations, uow: SeatsUnitOfWork) -> int:
    """R23: rows of a submitted import, checked when the draft was made; invited like any user."""
    users = await _new_users(pool, new, uow)
    await uow.users.add_all(users)
    await invite_new(pool, users, invitations, uow)
    return len(users)


async def invite_new(pool: SeatPool, users: list[SeatUser], invitations: Invitations, uow: SeatsUnitOfWork) -> None:
    """R22: each new user who has not registered yet is invited; the account's hourly limit
    counts each e-mail (429 and nothing done when it is reached)."""
    invited = [u for u in users if u.status is UserStatus.INVITED]
    if invited:
        await invitations.limit.take(uow.conn, pool.account_id, uow.now(), amount=len(invited))
    for user in invited:
        await uow.publish(_invitation(pool, user, invitations.identity_url, uow.now(), resend=False))


async def add_and_assign_one(
    subscription_id: str, email: str, invitations: Invitations, caller: Caller, uow: SeatsUnitOfWork
) -> Assignment:
    """`POST /seats/assignments`: an e-mail alone; a new user is listed and invited first (R22)."""
    pool = await administered_pool(subscription_id, caller, uow, lock=True)
    pool.ensure_unlocked()  # refuse before listing anyone (R21)
    email = normalise_email(email)
    user = await uow.users.find_by_email(subscription_id, email)
    if user is None:
        [user] = await _new_users(pool, [NewUser(email, "", "")], uow)
        await uow.users.add_all([user])
        await invite_new(pool, [user], invitations, uow)
    [assignment] = await _assign(pool, [user], uow)
    return assignment


async def assign_users(
    subscription_id: str, user_ids: list[str], caller: Caller, uow: SeatsUnitOfWork
) -> list[Assignment]:
    ensure_few_recipients(len(set(user_ids)), "to assign")
    pool = await administered_pool(subscription_id, caller, uow, lock=True)
    return await _assign(pool, [await uow.users.get(subscription_id, i) for i in dict.fromkeys(user_ids)], uow)


async def resend_invitations(
    subscription_id: str, selection: ResendSelection, invitations: Invitations, caller: Caller, uow: SeatsUnitOfWork
) -> list[SeatUser]:
    """R22: one new invitation per chosen user, each with its own id; at most
    MAX_RECIPIENTS_PER_REQUEST per request, and within the account's hourly limit."""
    pool = await administered_pool(subscription_id, caller, uow, lock=True)
    pool.ensure_usable()
    chosen = select_for_resend(
        await uow.users.users_of(subscription_id, lock=True),
        user_ids=selection.user_ids,
        everyone=selection.everyone,
        status=selection.status,
        text=selection.text,
    )
    ensure_few_recipients(len(chosen), "match")
    await invitations.limit.take(uow.conn, pool.account_id, uow.now(), amount=len(chosen))
    for user in chosen:
        await uow.publish(_invitation(pool, user, invitations.identity_url, uow.now(), resend=True))
        await uow.users.save(user)
    return chosen


async def unassign_users(
    subscription_id: str, user_ids: list[str], caller: Caller, uow: SeatsUnitOfWork
) -> list[SeatUser]:
    """R24: each seat is freed and its user loses access at once; the user stays listed (R5).
    R10: they fall back to a trial if they never had one, else to Standard. The floating seats
    they hold and the keys they activated go with the seat, each with its event."""
    ensure_few_recipients(len(set(user_ids)), "to unassign")
    pool = await administered_pool(subscription_id, caller, uow, lock=True)
    users = [await uow.users.get(subscription_id, i) for i in dict.fromkeys(user_ids)]
    for user in users:
        pool.unassign(user.user_id, user.email)
    await uow.pools.save(pool)
    for user in users:
        had_trial = await uow.users.had_trial_seat(user.email)
        await uow.publish(unassignment(user, pool.account_id, had_trial, uow.now()))
        await fallbacks.seat_revoked(pool, user, had_trial, uow)  # R43: what they keep, for GET /access
        await leases.revoke_leases_of(pool, user, uow, uow.now())
        await devices.deactivate_keys_of(pool, user, uow, uow.now())
    await uow.kept_keys.free(pool.subscription_id, [u.user_id for u in users])  # R41: kept for nobody
    return users


async def remove_previous_administrator(pool: SeatPool, previous: Contact, uow: SeatsUnitOfWork) -> None:
    """R38: administration was transferred; the previous administrator loses at once, in this
    subscription only, their assignment (SeatUnassigned, with the R10 fallback), their kept key,
    the floating seats they hold (LeaseRevoked) and the keys they activated (DeviceDeactivated),
    each event saying `transferred`. Found by person id or by e-mail, listed or not. The pool is
    locked and saved by the caller."""
    at = uow.now()
    listed = await uow.users.user_ids_of(pool.subscription_id, previous.person_id, previous.email)
    holders = [await uow.users.get(pool.subscription_id, i) for i in sorted(listed) if pool.holds(i)]
    for user in holders:
        pool.unassign(user.user_id, user.email)
    if holders:
        await uow.pools.save(pool)
    for user in holders:
        await uow.publish(unassignment(user, pool.account_id, await uow.users.had_trial_seat(user.email), at))
    await uow.kept_keys.free(pool.subscription_id, sorted(listed))
    for lease in await uow.leases.live_of(pool.subscription_id, previous.person_id, previous.email, at, lock=True):
        await uow.publish(lease.revoke(pool.account_id, TRANSFERRED, at))
        await uow.leases.save(lease)
    for key in await uow.keys.held_by(pool.subscription_id, previous.person_id, previous.email):
        await uow.publish(key.deactivate(at, reason=TRANSFERRED))
        await uow.keys.save(key)


async def register_person(event: PersonRegistered, uow: SeatsUnitOfWork) -> None:
    """R22: an invited user who registers is "registered" in every subscription that lists them;
    a user added later is registered at once. The user rows are locked: a resend of the
    invitation saving the same user at the same time waits instead of undoing this."""
    email = normalise_email(event.person.email)
    await uow.users.remember_registration(email, event.person.person_id, event.registered_at)
    for user in await uow.users.invited_with_email(email, lock=True):
        user.register(event.person.person_id)
        await uow.users.save(user)


async def _new_users(pool: SeatPool, new: list[NewUser], uow: SeatsUnitOfWork) -> list[SeatUser]:
    """Invited, or registered at once when identity already told us they registered (R4)."""
    at = uow.now()
    registered = await uow.users.registered_among([normalise_email(n.email) for n in new])
    users = []
    for n in new:
        email = normalise_email(n.email)
        user = SeatUser(
            user_id=str(uuid.uuid4()),
            subscription_id=pool.subscription_id,
            email=email,
            first_name=n.first_name.strip(),
            last_name=n.last_name.strip(),
            status=UserStatus.INVITED,
            added_at=at,
            locale=n.locale or pool.administrator.locale,
        )
        if email in registered:
            user.register(registered[email])
        users.append(user)
    return users


async def _assign(pool: SeatPool, users: list[SeatUser], uow: SeatsUnitOfWork) -> list[Assignment]:
    if pool.free_seats is not None and len(users) > pool.free_seats:
        pool.ensure_unlocked()
        raise RuleViolation(
            "no_free_seat",
            f"{len(users)} seats asked, {pool.free_seats} free of "
            f"{pool.assignable}; add seats or unassign users first.",
            rule="R25",
        )
    assignments = [pool.assign(u.user_id, u.email, at=uow.now()) for u in users]
    await uow.pools.save(pool)
    kept = await _keep_keys(pool, assignments, uow)
    for user, a in zip(users, assignments, strict=True):
        if pool.is_trial:
            await uow.users.remember_trial_seat(a.email, a.assigned_at)
        await uow.publish(assigned(pool, user, a, kept.get(a.user_id)))
    return assignments


async def _keep_keys(pool: SeatPool, assignments: list[Assignment], uow: SeatsUnitOfWork) -> dict[str, str]:
    """R41: in a node-locked pool each assigned user gets a key kept for them, sent in their
    licence e-mail (one per seat: provide_keys made one per seat in force)."""
    if pool.licence_type is not LicenceType.NODE_LOCKED or not assignments:
        return {}
    return await uow.kept_keys.keep(pool.subscription_id, [a.user_id for a in assignments])


def assigned(pool: SeatPool, user: SeatUser, assignment: Assignment, activation_key: str | None) -> SeatAssigned:
    """R41: the assignment with what the licence e-mail needs, registered user or not: the
    product, how it is used (start or download link) and, node-locked, the key kept for them."""
    return SeatAssigned(
        subscription_id=pool.subscription_id,
        account_id=pool.account_id,
        user_id=assignment.user_id,
        email=assignment.email,
        assigned_at=assignment.assigned_at,
        product=pool.product,
        licence_type=pool.licence_type,
        software=pool.software,
        activation_key=activation_key,
        name=user.name,
        locale=user.locale,
    )


def _invitation(pool: SeatPool, user: SeatUser, identity_url: str, at: datetime, resend: bool):
    return user.invite(
        subscription_id=pool.subscription_id,
        account_id=pool.account_id,
        invitation_id=str(uuid.uuid4()),
        invited_by=pool.administrator,
        identity_url=identity_url,
        at=at,
        resend=resend,
    )
