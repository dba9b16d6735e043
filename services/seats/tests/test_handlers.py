"""Seats reacting to the subscription lifecycle, through the real consumer and scheduler."""

from __future__ import annotations

from datetime import timedelta

import pytest

from contracts.errors import RuleViolation
from contracts.subscriptions import (
    ActivationExpired,
    AdministratorTransferred,
    CancellationScheduled,
    CancellationWithdrawn,
    SubscriptionActivated,
    SubscriptionEnded,
    SubscriptionPurchased,
    SubscriptionRenewed,
    TierChanged,
    TrialEnded,
    TrialStarted,
)
from contracts.testing import ACCOUNT_ID, ADA, BOB, SUBSCRIPTION_ID, T0, SubscriptionStory, eur, forged
from contracts.values import Contact, LicenceType
from seats.domain import PoolStatus
from seats.handlers import pools, users
from servicekit.http.auth import Caller

NEW_ADMIN = BOB
PRICE, NEW_PRICE = eur(36500), eur(73000)
TERM_END = T0 + timedelta(days=365)
NEXT_TERM_END = T0 + timedelta(days=730)
INVITATIONS = users.Invitations("https://id.example.com")


def story(quantity: int = 3) -> SubscriptionStory:
    """The subscription of these tests: 3 named Designer Premium seats at 365.00 EUR a year."""
    return SubscriptionStory(quantity=quantity, tier="premium", unit_price=PRICE)


def purchased(quantity=3, **extra) -> SubscriptionPurchased:
    return story(quantity).purchased(**extra)


def activated(quantity=3, at=T0) -> SubscriptionActivated:
    told = story(quantity)
    told.purchased()
    return told.activated(at=at)


def renewed() -> SubscriptionRenewed:
    told = story()
    told.purchased(), told.activated()
    return told.renewed(unit_price=NEW_PRICE)


def ended(reason: str, at=TERM_END) -> SubscriptionEnded:
    return story().ended(reason=reason, ended_at=at)


def transferred() -> AdministratorTransferred:
    return story().administrator_transferred(new_administrator=NEW_ADMIN, transferred_at=T0 + timedelta(days=5))


def tier_changed() -> TierChanged:
    told = story()
    told.purchased(), told.activated()
    return told.tier_changed(at=T0 + timedelta(days=10), to_tier="premium_plus", new_unit_price=NEW_PRICE)


def trial_started() -> TrialStarted:
    return story().trial_started()


def caller(person: Contact = ADA, account: str = ACCOUNT_ID) -> Caller:
    return Caller(person_id=person.person_id, account_id=account, email=person.email)


async def command(seats, action, *args):
    async with seats.uow() as uow:
        result = await action(*args, uow)
        await uow.commit()
    return result


def types(events: list[dict]) -> list[str]:
    return [e["type"] for e in events]


async def active_pool(seats, quantity=3):
    await seats.deliver(purchased(quantity), activated(quantity))


async def test_R17_after_a_transfer_the_previous_administrator_is_refused_by_every_route(seats):
    await active_pool(seats)
    await seats.deliver(transferred())
    for action, args in (
        (pools.assign_seat, (SUBSCRIPTION_ID, "u@example.com")),
        (pools.change_quantity, (SUBSCRIPTION_ID, 4)),
    ):
        with pytest.raises(RuleViolation) as refused:
            await command(seats, action, *args, caller(ADA))
        assert refused.value.refusal.value == "not_found"
    pool = await seats.pool(SUBSCRIPTION_ID)
    with pytest.raises(RuleViolation):
        pool.ensure_administered_by(ADA.person_id, ACCOUNT_ID)  # what GET /seats checks
    assert (await command(seats, pools.assign_seat, SUBSCRIPTION_ID, "u@example.com", caller(NEW_ADMIN))).email


async def test_R6_the_administrator_signed_in_for_another_account_is_refused(seats):
    await active_pool(seats)
    with pytest.raises(RuleViolation) as refused:
        await command(seats, pools.assign_seat, SUBSCRIPTION_ID, "u@example.com", caller(ADA, "other-account"))
    assert refused.value.refusal.value == "not_found"


async def test_R29_after_renewal_an_increase_carries_the_new_term_and_price(seats):
    await active_pool(seats)
    seats.clock.set(TERM_END)
    await seats.deliver(renewed())
    seats.clock.advance(timedelta(days=30))
    await command(seats, pools.change_quantity, SUBSCRIPTION_ID, 5, caller())
    [change] = [e for e in await seats.published() if e["type"] == "seats.quantity_changed"]
    assert (change["data"]["term_start"][:10], change["data"]["term_end"][:10]) == ("2027-01-05", "2028-01-05")
    assert change["data"]["unit_price"]["amount_minor"] == NEW_PRICE.amount_minor


async def test_R29_after_a_tier_change_an_increase_is_priced_in_the_new_tier(seats):
    await active_pool(seats)
    await seats.deliver(tier_changed())
    await command(seats, pools.change_quantity, SUBSCRIPTION_ID, 4, caller())
    [change] = [e for e in await seats.published() if e["type"] == "seats.quantity_changed"]
    assert change["data"]["unit_price"]["amount_minor"] == NEW_PRICE.amount_minor


@pytest.mark.parametrize("job_fires_first", [True, False], ids=["job-first", "renewal-first"])
async def test_R25_a_decrease_due_at_the_term_end_applies_once_when_the_renewal_comes_at_that_instant(
    seats, job_fires_first
):
    await active_pool(seats, quantity=4)
    await command(seats, pools.change_quantity, SUBSCRIPTION_ID, 2, caller())
    seats.clock.set(TERM_END)
    steps = [seats.fire_due, lambda: seats.deliver(renewed())]
    for step in steps if job_fires_first else reversed(steps):
        await step()
    changes = [e["data"] for e in await seats.published() if e["type"] == "seats.quantity_changed"]
    assert [(c["previous_quantity"], c["new_quantity"]) for c in changes] == [(4, 2)]
    assert changes[0]["effective_at"][:10] == changes[0]["term_end"][:10] == "2027-01-05"  # nothing to prorate
    pool = await seats.pool(SUBSCRIPTION_ID)
    assert (pool.quantity, pool.scheduled_quantity, pool.term_end) == (2, None, NEXT_TERM_END)
    assert await seats.pending_jobs() == []


async def test_R25_a_decrease_in_the_second_term_is_scheduled_and_applied_at_its_end(seats):
    await active_pool(seats, quantity=4)
    await command(seats, pools.change_quantity, SUBSCRIPTION_ID, 3, caller())
    seats.clock.set(TERM_END)
    await seats.fire_due()
    await seats.deliver(renewed())
    await command(seats, pools.change_quantity, SUBSCRIPTION_ID, 2, caller())
    assert [due for _, due in await seats.pending_jobs()] == [NEXT_TERM_END]
    seats.clock.set(NEXT_TERM_END)
    assert types(await seats.fire_due()) == ["seats.quantity_changed"]
    assert (await seats.pool(SUBSCRIPTION_ID)).quantity == 2


@pytest.mark.parametrize("reason", ["cancelled", "lapsed", "terminated", "trial_ended"])
async def test_R28_the_end_of_a_subscription_revokes_every_seat_whatever_the_reason(seats, reason):
    await active_pool(seats)
    await command(seats, pools.assign_seat, SUBSCRIPTION_ID, "u@example.com", caller())
    published = await seats.deliver(ended(reason))
    assert types(published) == ["seats.deprovisioned"]
    assert published[0]["data"]["administrator"]["person_id"] == ADA.person_id
    assert (await seats.pool(SUBSCRIPTION_ID)).assignments == []


async def test_R28_a_termination_before_the_term_end_cancels_the_scheduled_decrease(seats):
    await active_pool(seats, quantity=4)
    await command(seats, pools.change_quantity, SUBSCRIPTION_ID, 2, caller())
    assert len(await seats.pending_jobs()) == 1
    seats.clock.set(T0 + timedelta(days=100))
    await seats.deliver(ended("terminated", at=seats.clock.now()))
    assert await seats.pending_jobs() == []
    seats.clock.set(TERM_END)
    assert await seats.fire_due() == []


async def test_R28_a_termination_revokes_a_pool_still_locked(seats):
    await seats.deliver(purchased())
    assert types(await seats.deliver(ended("terminated", at=T0))) == ["seats.deprovisioned"]
    assert (await seats.pool(SUBSCRIPTION_ID)).status is PoolStatus.DEPROVISIONED


async def test_R28_the_administrator_told_of_the_end_is_the_one_after_a_transfer(seats):
    await active_pool(seats)
    await seats.deliver(transferred())
    [deprovisioned] = await seats.deliver(ended("cancelled"))
    assert deprovisioned["data"]["administrator"]["person_id"] == NEW_ADMIN.person_id


async def test_R14_a_withdrawn_cancellation_clears_the_scheduled_deprovisioning(seats):
    await active_pool(seats)
    cancelled = CancellationScheduled(
        subscription_id=SUBSCRIPTION_ID,
        account_id=ACCOUNT_ID,
        administrator=ADA,
        reason="budget",
        requested_at=T0,
        effective_at=TERM_END,
    )
    await seats.deliver(cancelled)
    assert (await seats.pool(SUBSCRIPTION_ID)).deprovision_at == TERM_END
    await seats.deliver(CancellationWithdrawn(subscription_id=SUBSCRIPTION_ID, account_id=ACCOUNT_ID, withdrawn_at=T0))
    assert (await seats.pool(SUBSCRIPTION_ID)).deprovision_at is None


async def test_R10_a_trial_opens_one_unlocked_seat_and_its_conversion_unlocks_the_paid_quantity(seats):
    await seats.deliver(trial_started())
    pool = await seats.pool(SUBSCRIPTION_ID)
    assert (pool.status, pool.quantity, pool.is_trial) == (PoolStatus.UNLOCKED, 1, True)
    await command(seats, pools.assign_seat, SUBSCRIPTION_ID, "trier@example.com", caller())
    converted = TrialEnded(
        subscription_id=SUBSCRIPTION_ID,
        account_id=ACCOUNT_ID,
        administrator=ADA,
        outcome="converted",
        ended_at=T0 + timedelta(days=3),
    )
    published = await seats.deliver(
        purchased(5, converts_trial=True), converted, activated(5, at=T0 + timedelta(days=3))
    )
    assert types(published) == ["seats.unlocked"] and published[0]["data"]["quantity"] == 5
    pool = await seats.pool(SUBSCRIPTION_ID)
    assert (pool.quantity, pool.is_trial, len(pool.assignments), pool.unit_price) == (5, False, 1, PRICE)


async def test_R10_a_trial_ended_without_conversion_revokes_its_seat(seats):
    await seats.deliver(trial_started())
    await command(seats, pools.assign_seat, SUBSCRIPTION_ID, "trier@example.com", caller())
    [deprovisioned] = await seats.deliver(ended("trial_ended", at=T0 + timedelta(days=30)))
    assert deprovisioned["data"]["revoked_user_ids"] and (await seats.pool(SUBSCRIPTION_ID)).assignments == []


EVENTS_THAT_NEED_A_KNOWN_POOL = [
    activated(500),
    renewed(),
    tier_changed(),
    ended("terminated"),
    CancellationWithdrawn(subscription_id=SUBSCRIPTION_ID, account_id=ACCOUNT_ID, withdrawn_at=T0),
    CancellationScheduled(
        subscription_id=SUBSCRIPTION_ID,
        account_id=ACCOUNT_ID,
        administrator=ADA,
        reason="x",
        requested_at=T0,
        effective_at=TERM_END,
    ),
    ActivationExpired(subscription_id=SUBSCRIPTION_ID, account_id=ACCOUNT_ID, ordered_at=T0, expired_at=T0),
]


@pytest.mark.parametrize("event", EVENTS_THAT_NEED_A_KNOWN_POOL, ids=lambda e: e.type)
async def test_R21_an_event_about_a_subscription_seats_never_saw_bought_is_dead_lettered_as_inconsistent(seats, event):
    """A purchase (or trial) comes first on the subscription's partition: without it, the event is
    forged or corrupt. A forged activation once opened 500 unlocked seats (issue 11)."""
    assert await seats.deliver(event) == []
    assert seats.dead_letter_reasons == ["inconsistent"] and await seats.pool(SUBSCRIPTION_ID) is None


async def test_R19_a_transfer_before_the_purchase_of_an_order_awaiting_approval_is_ignored(seats):
    assert await seats.deliver(transferred()) == [] and seats.dead_letters == []
    assert await seats.pool(SUBSCRIPTION_ID) is None


STRANGER = Contact(person_id="p-eve", email="eve@example.com", name="Eve")
ACTIVATIONS_THAT_CONTRADICT_THE_PURCHASE = {
    "another account": forged(activated(), account_id="a-eve"),
    "another administrator": forged(activated(), administrator=STRANGER),
    "another quantity": forged(activated(500)),
    "another licence type": forged(activated(), licence_type=LicenceType.FLOATING),
    "another product": forged(activated(), product="other-product"),
}


@pytest.mark.parametrize(
    "forgery", ACTIVATIONS_THAT_CONTRADICT_THE_PURCHASE.values(), ids=ACTIVATIONS_THAT_CONTRADICT_THE_PURCHASE.keys()
)
async def test_R21_an_activation_that_contradicts_the_purchase_unlocks_nothing(seats, forgery):
    await seats.deliver(purchased())
    assert await seats.deliver(forgery) == []
    assert seats.dead_letter_reasons == ["inconsistent"]
    pool = await seats.pool(SUBSCRIPTION_ID)
    assert (pool.status, pool.quantity, pool.account_id) == (PoolStatus.LOCKED, 3, ACCOUNT_ID)
    assert types(await seats.deliver(activated())) == ["seats.unlocked"]  # the real one still unlocks


TRANSFERS_THAT_CONTRADICT_WHAT_SEATS_KNOWS = {
    "to another account": forged(transferred(), account_id="a-eve", new_administrator=STRANGER),
    "from someone not the administrator": forged(
        transferred(), previous_administrator=STRANGER, new_administrator=STRANGER
    ),
}


@pytest.mark.parametrize(
    "forgery",
    TRANSFERS_THAT_CONTRADICT_WHAT_SEATS_KNOWS.values(),
    ids=TRANSFERS_THAT_CONTRADICT_WHAT_SEATS_KNOWS.keys(),
)
async def test_R17_a_transfer_that_contradicts_the_administrator_seats_knows_changes_nothing(seats, forgery):
    await active_pool(seats)
    await seats.deliver(forgery)
    assert seats.dead_letter_reasons == ["inconsistent"]
    pool = await seats.pool(SUBSCRIPTION_ID)
    assert (pool.account_id, pool.administrator.person_id) == (ACCOUNT_ID, ADA.person_id)
    with pytest.raises(RuleViolation):
        await command(seats, pools.assign_seat, SUBSCRIPTION_ID, "u@example.com", caller(STRANGER, "a-eve"))
    await seats.deliver(transferred())  # the real transfer still applies
    assert (await seats.pool(SUBSCRIPTION_ID)).administrator.person_id == NEW_ADMIN.person_id


@pytest.mark.parametrize(
    "event", [purchased(), renewed(), tier_changed(), ended("terminated"), trial_started()], ids=lambda e: e.type
)
async def test_R6_an_event_naming_another_account_for_a_known_pool_changes_nothing(seats, event):
    await active_pool(seats)
    before = await seats.pool(SUBSCRIPTION_ID)
    assert await seats.deliver(forged(event, account_id="a-eve")) == []
    assert seats.dead_letter_reasons == ["inconsistent"]
    assert await seats.pool(SUBSCRIPTION_ID) == before


async def test_R10_an_activation_of_a_trial_without_its_converting_purchase_is_inconsistent(seats):
    await seats.deliver(trial_started())
    assert await seats.deliver(activated(500)) == []
    assert seats.dead_letter_reasons == ["inconsistent"]
    pool = await seats.pool(SUBSCRIPTION_ID)
    assert (pool.quantity, pool.is_trial) == (1, True)


async def test_R10_a_trial_replayed_after_its_pool_exists_opens_nothing_new(seats):
    await seats.deliver(trial_started())
    await command(seats, pools.assign_seat, SUBSCRIPTION_ID, "trier@example.com", caller())
    await seats.deliver(trial_started())  # the same fact, under a new event id (a re-publication)
    assert len((await seats.pool(SUBSCRIPTION_ID)).assignments) == 1


def cancelled_story() -> SubscriptionStory:
    told = story()
    told.purchased(), told.activated(), told.cancellation_scheduled()
    return told


async def test_R28_R48_a_cancelled_term_s_seats_are_revoked_at_its_end_and_come_back_if_renewed_in_grace(seats):
    told = cancelled_story()
    await active_pool(seats)
    await command(seats, pools.assign_seat, SUBSCRIPTION_ID, "u@example.com", caller())
    grace = told.grace_started()
    assert grace.cancelled
    assert types(await seats.deliver(grace)) == ["seats.deprovisioned"]  # R28: at the term end
    pool = await seats.pool(SUBSCRIPTION_ID)
    assert (pool.status, pool.assignments) == (PoolStatus.SUSPENDED, [])
    await seats.deliver(told.renewed(how="renewed_in_grace", at=TERM_END + timedelta(days=3)))  # R48
    pool = await seats.pool(SUBSCRIPTION_ID)
    assert (pool.status, pool.assignments) == (PoolStatus.UNLOCKED, [])
    await command(seats, pools.assign_seat, SUBSCRIPTION_ID, "u@example.com", caller())  # usable again


async def test_R28_a_cancelled_term_not_renewed_is_revoked_once(seats):
    told = cancelled_story()
    await active_pool(seats)
    await seats.deliver(told.grace_started())
    assert await seats.deliver(told.ended(reason="cancelled")) == []  # nothing left to revoke, no second e-mail
    assert (await seats.pool(SUBSCRIPTION_ID)).status is PoolStatus.DEPROVISIONED


async def test_R15_an_unrenewed_term_not_cancelled_keeps_its_seats_through_the_grace(seats):
    told = story()
    told.purchased(), told.activated()
    await active_pool(seats)
    await command(seats, pools.assign_seat, SUBSCRIPTION_ID, "u@example.com", caller())
    assert await seats.deliver(told.grace_started()) == []
    assert len((await seats.pool(SUBSCRIPTION_ID)).assignments) == 1
