"""R43 (R10): what a person keeps of a product when their trial falls back or their seat is
revoked: the free Standard tier, or a trial they may start when they never had one. Recorded
here, answered by the access query (`handlers.access`) when no seat is in force."""

from __future__ import annotations

from contracts.subscriptions import TrialEnded
from seats.domain.entitlements import FALLBACK_STANDARD, Fallback
from seats.domain.pools import SeatPool
from seats.domain.users import SeatUser, fallback_after_revocation
from seats.store.uow import SeatsUnitOfWork

FREE_TIER = "standard"


async def trial_fell_back(event: TrialEnded, uow: SeatsUnitOfWork) -> None:
    """A trial not converted: its administrator and the users assigned to it keep the free tier
    of the product. The trial's pool still holds its assignments (the trial's end comes before
    the subscription's end on the subscription's partition)."""
    if event.outcome != "fallback":
        return
    pool = await uow.pools.find(event.subscription_id)
    if pool is None or pool.account_id != event.account_id or not pool.product:
        return  # a trial seats never opened: nobody held a seat of it
    tier = event.fallback_tier or FREE_TIER
    people: list[tuple[str, str | None]] = [(event.administrator.email, event.administrator.person_id)]
    registered = {u.user_id: u.person_id for u in await uow.users.users_of(pool.subscription_id)}
    people += [(a.email, registered.get(a.user_id)) for a in pool.assignments]
    known: dict[str, str | None] = {}
    for email, person_id in people:
        known[email.lower()] = known.get(email.lower()) or person_id
    for email, person_id in known.items():
        await uow.fallbacks.record(
            Fallback(email, pool.product, FALLBACK_STANDARD, tier, pool.subscription_id, event.ended_at, person_id)
        )


async def seat_revoked(pool: SeatPool, user: SeatUser, had_trial_seat: bool, uow: SeatsUnitOfWork) -> None:
    """R24, R10: a user unassigned from `pool` keeps Standard if they had a trial seat, else
    may start a trial (`domain.users.fallback_after_revocation`, as SeatUnassigned says)."""
    if not pool.product:
        return
    fallback = fallback_after_revocation(had_trial_seat)
    await uow.fallbacks.record(
        Fallback(user.email.lower(), pool.product, fallback, FREE_TIER, pool.subscription_id, uow.now(), user.person_id)
    )
