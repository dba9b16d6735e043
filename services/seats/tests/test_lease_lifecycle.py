"""Floating seats that survive real life (issue 14, R26): the lease events on the public topic,
the lease job (heartbeat missed, then over for good), the revive window, borrowing for offline
work, sign-out, and a seat of a product taken at sign-in from the best pool, never more live
leases than seats, under concurrent requests too (on SQLite and on PostgreSQL)."""

from __future__ import annotations

import asyncio
import functools
from datetime import timedelta

import pytest

from contracts.errors import RuleViolation
from contracts.identity import SignedOut
from contracts.testing import ACCOUNT_ID, SUBSCRIPTION_ID
from contracts.values import LicenceType
from seats.adapters.signing import public_keys_of, verify
from seats.domain.leases import LeasePolicy
from seats.domain.users import NewUser
from seats.handlers import leases, users

from .conftest import T0
from .test_handlers import INVITATIONS, activated, caller, command, purchased
from .test_leases import acquire, backend, floating_pool, live, user

__all__ = ["backend"]  # the fixture, on SQLite and PostgreSQL

HOUR = timedelta(hours=1)
LONG_REVIVE = LeasePolicy(revive=timedelta(hours=3))


def lease_events(events: list[dict]) -> list[tuple[str, str]]:
    return [(e["type"], e["data"]["lease_id"]) for e in events if e["type"].startswith("seats.lease_")]


async def heartbeat(seats, lease_id: str, who, policy: LeasePolicy | None = None):
    action = functools.partial(leases.heartbeat, policy=policy) if policy else leases.heartbeat
    return await command(seats, action, lease_id, who)


async def borrow(seats, lease_id: str, until, who, policy: LeasePolicy | None = None):
    action = functools.partial(leases.borrow, policy=policy) if policy else leases.borrow
    return await command(seats, action, lease_id, until, who)


async def refusal(attempt) -> RuleViolation:
    with pytest.raises(RuleViolation) as refused:
        await attempt
    return refused.value


async def test_R26_taking_and_giving_back_a_seat_is_told_on_the_public_topic(seats):
    await floating_pool(seats, quantity=2, listed=1)
    lease = await acquire(seats, user(0), "s-1")
    seats.clock.advance(timedelta(minutes=30))
    await command(seats, leases.release, lease.lease_id, user(0))
    taken, released = [e["data"] for e in await seats.published() if e["type"].startswith("seats.lease_")]
    assert (taken["product"], taken["account_id"], taken["session_id"], taken["expires_at"][:19]) == (
        "designer",
        ACCOUNT_ID,
        "s-1",
        (T0 + HOUR).isoformat()[:19],
    )
    assert (released["lease_id"], released["reason"], released["released_at"][:19]) == (
        lease.lease_id,
        "released",
        (T0 + timedelta(minutes=30)).isoformat()[:19],
    )


async def test_R26_heartbeats_are_not_news_and_keep_the_lease_job_quiet(seats):
    await floating_pool(seats, quantity=1, listed=1)
    lease = await acquire(seats, user(0))
    before = len(await seats.published())
    for _ in range(3):
        seats.clock.advance(timedelta(minutes=50))
        await heartbeat(seats, lease.lease_id, user(0))
        assert await seats.fire_due() == []
    assert len(await seats.published()) == before  # no event per heartbeat
    # One job per lease: it fired once, at the first expiry, and moved to the expiry it saw then.
    assert [due for job, due in await seats.pending_jobs() if job.startswith(leases.LEASE_WATCH)] == [
        T0 + timedelta(minutes=160)
    ]


async def test_R26_the_lease_job_tells_a_missed_heartbeat_then_the_end_of_the_revive_window_once_each(seats):
    await floating_pool(seats, quantity=1, listed=1)
    lease = await acquire(seats, user(0))
    seats.clock.set(T0 + HOUR + timedelta(seconds=1))
    [missed] = await seats.fire_due()
    assert (missed["type"], missed["data"]["expired_at"][:19], missed["data"]["revivable_until"][:19]) == (
        "seats.lease_heartbeat_missed",
        (T0 + HOUR).isoformat()[:19],
        (T0 + 2 * HOUR).isoformat()[:19],
    )
    assert await seats.fire_due() == []  # told once
    seats.clock.set(T0 + 2 * HOUR)
    assert lease_events(await seats.fire_due()) == [("seats.lease_expired", lease.lease_id)]
    seats.clock.advance(timedelta(days=3))
    assert await seats.fire_due() == [] and await seats.pending_jobs() == []
    assert (await refusal(heartbeat(seats, lease.lease_id, user(0)))).code == "lease_expired"


async def test_R26_a_laptop_that_slept_gets_its_lease_back_within_the_revive_window(seats):
    await floating_pool(seats, quantity=1, listed=2)
    lease = await acquire(seats, user(0))
    seats.clock.set(T0 + timedelta(minutes=90))
    await seats.fire_due()  # heartbeat missed
    assert await live(seats) == 0
    revived = await heartbeat(seats, lease.lease_id, user(0))
    assert (revived.expires_at, revived.missed_at) == (T0 + timedelta(minutes=150), None)
    assert lease_events(await seats.published())[-1] == ("seats.lease_revived", lease.lease_id)
    assert await live(seats) == 1
    assert (await refusal(acquire(seats, user(1)))).code == "no_free_seat"  # the revived lease counts
    seats.clock.set(T0 + 2 * HOUR)  # the old revive deadline: nothing ends
    assert await seats.fire_due() == []
    seats.clock.set(T0 + timedelta(minutes=151))
    assert [e["type"] for e in await seats.fire_due()] == ["seats.lease_heartbeat_missed"]


async def test_R26_a_lapsed_lease_is_revived_only_if_a_seat_is_still_free(seats):
    await floating_pool(seats, quantity=1, listed=2)
    sleeper = await acquire(seats, user(0))
    seats.clock.set(T0 + timedelta(minutes=70))
    other = await acquire(seats, user(1))  # the seat was free again
    refused = await refusal(heartbeat(seats, sleeper.lease_id, user(0)))
    assert (refused.code, refused.rule) == ("no_free_seat", "R26")
    await command(seats, leases.release, other.lease_id, user(1))
    assert (await heartbeat(seats, sleeper.lease_id, user(0))).is_live(seats.clock.now())
    assert await live(seats) == 1


async def test_R24_a_lapsed_lease_of_someone_who_lost_their_seat_is_not_revived(seats):
    [ann] = await floating_pool(seats, quantity=2, listed=1)
    lease = await acquire(seats, user(0))
    seats.clock.set(T0 + timedelta(minutes=70))
    await command(seats, users.unassign_users, SUBSCRIPTION_ID, [ann.user_id], caller())
    refused = await refusal(heartbeat(seats, lease.lease_id, user(0)))
    assert (refused.code, refused.rule) == ("no_seat_assigned", "R24")


async def test_R26_another_persons_lease_answers_as_unknown_to_borrow_and_heartbeat(seats):
    await floating_pool(seats, quantity=2, listed=2)
    lease = await acquire(seats, user(0))
    for attempt in (
        heartbeat(seats, lease.lease_id, user(1)),
        borrow(seats, lease.lease_id, T0 + HOUR * 5, user(1)),
    ):
        refused = await refusal(attempt)
        assert (refused.code, refused.message) == ("lease_not_found", f"No lease {lease.lease_id} is visible to you.")


async def test_R26_a_borrowed_seat_needs_no_heartbeat_survives_sign_out_and_counts_until_its_end(seats):
    await floating_pool(seats, quantity=1, listed=2)
    lease = await acquire(seats, user(0), "s-1")
    until = T0 + timedelta(days=5)
    borrowed = await borrow(seats, lease.lease_id, until, user(0))
    assert (borrowed.borrowed_until, borrowed.expires_at) == (until, until)
    assert lease_events(await seats.published())[-1] == ("seats.lease_borrowed", lease.lease_id)
    await seats.deliver(SignedOut(person_id="p-0", account_id="their-own", session_id="s-1", signed_out_at=T0))
    seats.clock.set(T0 + timedelta(days=3))
    assert await seats.fire_due() == []  # no heartbeat in three days, nothing missed
    assert await live(seats) == 1
    assert (await refusal(acquire(seats, user(1)))).code == "no_free_seat"
    assert (await heartbeat(seats, lease.lease_id, user(0))).expires_at == until  # never shortens a borrow
    seats.clock.set(until + timedelta(seconds=1))
    missed = [e["data"] for e in await seats.fire_due()]
    assert [m["expired_at"][:19] for m in missed] == [until.isoformat()[:19]]
    await acquire(seats, user(1))


async def test_R26_a_borrowed_seat_returned_early_is_free_at_once(seats):
    await floating_pool(seats, quantity=1, listed=2)
    lease = await acquire(seats, user(0))
    await borrow(seats, lease.lease_id, T0 + timedelta(days=7), user(0))
    seats.clock.advance(timedelta(days=1))
    await command(seats, leases.release, lease.lease_id, user(0))
    [released] = [e["data"] for e in await seats.published() if e["type"] == "seats.lease_released"]
    assert released["reason"] == "released"
    await acquire(seats, user(1))


async def test_R26_borrowing_is_bounded_by_the_maximum_and_by_the_term_end(seats):
    await floating_pool(seats, quantity=1, listed=1)
    lease = await acquire(seats, user(0))
    too_long = await refusal(borrow(seats, lease.lease_id, T0 + timedelta(days=7, seconds=1), user(0)))
    assert (too_long.code, too_long.refusal.value) == ("borrow_too_long", "invalid")
    off = await refusal(borrow(seats, lease.lease_id, T0 + HOUR * 2, user(0), LeasePolicy(borrow_max=timedelta(0))))
    assert off.code == "borrowing_disabled"
    term_end = (await seats.pool(SUBSCRIPTION_ID)).term_end
    seats.clock.set(term_end - timedelta(days=2))
    lease = await acquire(seats, user(0))
    past = await refusal(borrow(seats, lease.lease_id, term_end + timedelta(hours=1), user(0)))
    assert (past.code, past.rule) == ("borrow_past_term_end", "R26")
    assert (await borrow(seats, lease.lease_id, term_end, user(0))).borrowed_until == term_end


async def test_R26_sign_out_releases_the_sessions_leases_each_with_its_event(seats):
    await floating_pool(seats, quantity=3, listed=1)
    first = await acquire(seats, user(0), "s-1")
    await acquire(seats, user(0), "s-2")
    await seats.deliver(SignedOut(person_id="p-0", account_id="their-own", session_id="s-1", signed_out_at=T0))
    released = [e["data"] for e in await seats.published() if e["type"] == "seats.lease_released"]
    assert [(r["lease_id"], r["reason"]) for r in released] == [(first.lease_id, "signed_out")]
    assert await live(seats) == 1


async def product_pools(seats, *pools: tuple[str, str, int], people: int = 2) -> None:
    """Floating pools of designer, each (subscription id, tier, seats), `people` users assigned to each."""
    for sid, tier, quantity in pools:
        change = {"licence_type": LicenceType.FLOATING, "subscription_id": sid, "tier": tier}
        await seats.deliver(
            purchased(quantity).model_copy(update=change), activated(quantity).model_copy(update=change)
        )
        new = [NewUser(f"user{n}@example.com", "U", str(n)) for n in range(people)]
        await command(seats, users.add_users, sid, new, True, INVITATIONS, caller())


async def take(seats, who, product: str = "designer"):
    return await command(seats, leases.acquire_for_product, product, who, f"sid-{who.person_id}")


async def test_R26_a_seat_of_a_product_comes_from_the_best_tier_then_the_pool_with_most_free_seats(seats):
    await product_pools(seats, ("s-a", "standard", 5), ("s-b", "premium", 1), ("s-c", "premium", 2), people=4)
    taken = [(await take(seats, user(n))).subscription_id for n in range(4)]
    assert taken == ["s-c", "s-c", "s-b", "s-a"]  # premium: 2 free before 1 free, then standard
    lease = await take(seats, user(0))
    assert (lease.product, lease.session_id) == ("designer", "sid-p-0")


async def test_R24_a_product_seat_needs_an_assignment_and_a_free_seat(seats):
    await product_pools(seats, ("s-a", "premium", 1), people=2)
    refused = await refusal(take(seats, user(5)))
    assert (refused.code, refused.refusal.value, refused.rule) == ("no_seat_assigned", "forbidden", "R24")
    assert (await refusal(take(seats, user(0), product="printserver"))).code == "no_seat_assigned"
    await take(seats, user(0))
    busy = await refusal(take(seats, user(1)))
    assert (busy.code, busy.rule) == ("no_free_seat", "R26")


async def test_R26_people_taking_the_last_seats_of_a_product_at_once_get_each_seat_once(backend):
    await product_pools(backend, ("s-a", "premium", 2), ("s-b", "premium", 1), people=12)
    outcomes = await asyncio.gather(*(take(backend, user(n)) for n in range(12)), return_exceptions=True)
    refused = [o for o in outcomes if isinstance(o, RuleViolation)]
    assert [o for o in outcomes if isinstance(o, Exception) and not isinstance(o, RuleViolation)] == []
    assert len(refused) == 9 and {r.code for r in refused} == {"no_free_seat"}
    async with backend.uow() as uow:
        now = backend.clock.now()
        assert (await uow.leases.count_live("s-a", now), await uow.leases.count_live("s-b", now)) == (2, 1)


async def test_R26_two_lapsed_leases_reviving_for_the_last_seat_at_once_one_gets_it(backend):
    await floating_pool(backend, quantity=1, listed=2)
    take_reviving_for_3_hours = functools.partial(leases.acquire, policy=LONG_REVIVE)
    first = await command(backend, take_reviving_for_3_hours, SUBSCRIPTION_ID, user(0), None)
    backend.clock.set(T0 + timedelta(minutes=61))
    second = await command(backend, take_reviving_for_3_hours, SUBSCRIPTION_ID, user(1), None)
    backend.clock.set(T0 + timedelta(minutes=122))  # both lapsed, both within a 3-hour revive window
    outcomes = await asyncio.gather(
        heartbeat(backend, first.lease_id, user(0), LONG_REVIVE),
        heartbeat(backend, second.lease_id, user(1), LONG_REVIVE),
        return_exceptions=True,
    )
    assert sorted(type(o).__name__ for o in outcomes) == ["Lease", "RuleViolation"]
    assert [o.code for o in outcomes if isinstance(o, RuleViolation)] == ["no_free_seat"]
    assert await live(backend) == 1


async def test_R26_lease_routes_answer_the_product_the_borrow_and_the_revive_deadline(seats):
    await floating_pool(seats, quantity=1, listed=1)
    ann = user(0)
    async with seats.client(ann) as http:
        taken = await http.post("/products/designer/leases")
        assert taken.status_code == 201, taken.text
        body = taken.json()
        assert (body["product"], body["borrowed_until"]) == ("designer", None)
        jwks = public_keys_of((await http.get("/.well-known/jwks.json")).json())
        claims = verify(body["entitlement"], jwks, T0.timestamp())  # issue 14: it lives as long as the lease
        assert (claims["licence_type"], claims["lease_id"]) == ("floating", body["lease_id"])
        assert claims["exp"] == int((T0 + HOUR).timestamp())
        seats.clock.set(T0 + HOUR / 2)  # each heartbeat returns a fresh entitlement, an hour from now
        beat = (await http.post(f"/leases/{body['lease_id']}/heartbeat")).json()
        now = (T0 + HOUR / 2).timestamp()
        assert verify(beat["entitlement"], jwks, now)["exp"] == int((T0 + 3 * HOUR / 2).timestamp())
        assert body["revivable_until"][:19] == (T0 + 2 * HOUR).isoformat()[:19]
        assert [e for e in body["event_ids"]]  # seats.lease_taken
        naive = await http.post(f"/leases/{body['lease_id']}/borrow", json={"until": "2026-01-10T00:00:00"})
        assert naive.status_code == 422
        until = (T0 + timedelta(days=2)).isoformat()
        borrowed = await http.post(f"/leases/{body['lease_id']}/borrow", json={"until": until})
        assert borrowed.status_code == 200, borrowed.text
        assert borrowed.json()["borrowed_until"][:19] == until[:19]
        # A borrowed seat's entitlement lasts until the borrow's end: it is used offline.
        assert verify(borrowed.json()["entitlement"], jwks, now)["exp"] == int((T0 + timedelta(days=2)).timestamp())
        too_long = await http.post(
            f"/leases/{body['lease_id']}/borrow", json={"until": (T0 + timedelta(days=30)).isoformat()}
        )
        assert (too_long.status_code, too_long.json()["code"]) == (422, "borrow_too_long")
        returned = await http.delete(f"/leases/{body['lease_id']}")
        assert (returned.status_code, returned.json()["revivable_until"]) == (200, None)
        unknown_product = await http.post("/products/no%20such/leases")
        assert unknown_product.status_code == 422
