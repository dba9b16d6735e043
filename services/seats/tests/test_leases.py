"""Floating seats (R26): one-hour leases, heartbeats, release at sign-out, never more live
leases than seats, even under concurrent requests, on SQLite and on PostgreSQL."""

from __future__ import annotations

import asyncio
import uuid
from datetime import timedelta

import pytest

from contracts.errors import RuleViolation
from contracts.identity import SignedOut
from contracts.testing import ACCOUNT_ID, SUBSCRIPTION_ID
from contracts.values import LicenceType
from devkit.testsupport import BACKENDS, require_postgres
from seats.app import build
from seats.domain.users import NewUser
from seats.handlers import leases, users
from seats.settings import SeatsSettings
from servicekit.clock import FixedClock
from servicekit.http.auth import Caller

from .conftest import T0, SeatsDriver
from .test_handlers import INVITATIONS, activated, caller, command, ended, purchased


@pytest.fixture(params=BACKENDS)
async def backend(request, tmp_path):
    """The seats service on a fresh SQLite file or a fresh PostgreSQL schema."""
    url = f"sqlite:///{tmp_path}/seats.db" if request.param == "sqlite" else require_postgres()
    settings = SeatsSettings(database_url=url, db_schema=f"seats_{uuid.uuid4().hex[:8]}")
    driver = await SeatsDriver.start(build(settings, clock=FixedClock(T0)))
    yield driver
    await driver.runtime.db.drop_schema()
    await driver.close()


def user(n: int, session: str | None = None) -> Caller:
    return Caller(person_id=f"p-{n}", account_id="their-own", email=f"user{n}@example.com")


async def floating_pool(seats, quantity: int, listed: int, assigned: bool = True) -> list:
    """A floating pool whose users are assigned: in a floating pool an assignment is the right to
    take a seat when one is free, and more people than seats may hold it (R26)."""
    floating = {"licence_type": LicenceType.FLOATING}
    await seats.deliver(
        purchased(quantity).model_copy(update=floating), activated(quantity).model_copy(update=floating)
    )
    new = [NewUser(f"user{n}@example.com", "U", str(n)) for n in range(listed)]
    return await command(seats, users.add_users, SUBSCRIPTION_ID, new, assigned, INVITATIONS, caller())


async def acquire(seats, who: Caller, session: str | None = None):
    return await command(seats, leases.acquire, SUBSCRIPTION_ID, who, session)


async def live(seats) -> int:
    async with seats.uow() as uow:
        return await uow.leases.count_live(SUBSCRIPTION_ID, seats.clock.now())


async def test_R26_never_more_live_leases_than_seats_under_fifty_concurrent_acquires(backend):
    await floating_pool(backend, quantity=5, listed=50)
    outcomes = await asyncio.gather(*(acquire(backend, user(n)) for n in range(50)), return_exceptions=True)
    refused = [o for o in outcomes if isinstance(o, RuleViolation)]
    assert len(refused) == 45 and {r.rule for r in refused} == {"R26"}
    assert [o for o in outcomes if isinstance(o, Exception) and not isinstance(o, RuleViolation)] == []
    assert await live(backend) == 5


async def test_R26_a_lease_expires_an_hour_after_the_last_heartbeat_and_then_never_counts(seats):
    await floating_pool(seats, quantity=1, listed=2)
    lease = await acquire(seats, user(0))
    with pytest.raises(RuleViolation):
        await acquire(seats, user(1))
    seats.clock.advance(timedelta(minutes=50))
    assert (
        await command(seats, leases.heartbeat, lease.lease_id, user(0))
    ).expires_at == seats.clock.now() + timedelta(hours=1)
    seats.clock.advance(timedelta(minutes=59))
    with pytest.raises(RuleViolation):
        await acquire(seats, user(1))  # extended by the heartbeat: still in use
    seats.clock.advance(timedelta(minutes=2))
    assert await live(seats) == 0
    await acquire(seats, user(1))
    with pytest.raises(RuleViolation) as taken:  # within its revive window, but the seat is taken
        await command(seats, leases.heartbeat, lease.lease_id, user(0))
    assert taken.value.code == "no_free_seat"
    seats.clock.advance(timedelta(hours=1))
    with pytest.raises(RuleViolation) as expired:
        await command(seats, leases.heartbeat, lease.lease_id, user(0))
    assert expired.value.code == "lease_expired"


async def test_R26_a_released_lease_frees_the_seat_and_only_its_holder_may_touch_it(seats):
    await floating_pool(seats, quantity=1, listed=2)
    lease = await acquire(seats, user(0))
    for touch in (leases.release, leases.heartbeat):
        with pytest.raises(RuleViolation) as other_user:
            await command(seats, touch, lease.lease_id, user(1))
        with pytest.raises(RuleViolation) as unknown:
            await command(seats, touch, "no-such-lease", user(1))
        assert (other_user.value.code, other_user.value.refusal.value) == ("lease_not_found", "not_found")
        assert other_user.value.message.replace(lease.lease_id, "x") == unknown.value.message.replace(
            "no-such-lease", "x"
        )  # "not yours" and "does not exist" answer the same
    await command(seats, leases.release, lease.lease_id, user(0))
    await acquire(seats, user(1))


async def test_R26_the_administrator_may_take_back_a_lease_of_their_subscription(seats):
    await floating_pool(seats, quantity=1, listed=2)
    lease = await acquire(seats, user(0))
    assert (await command(seats, leases.release, lease.lease_id, caller())).released_at == T0
    await acquire(seats, user(1))


async def test_R26_sign_out_releases_the_leases_of_that_session_only(seats):
    await floating_pool(seats, quantity=3, listed=1)
    await acquire(seats, user(0), "s-1")
    await acquire(seats, user(0), "s-2")
    await seats.deliver(SignedOut(person_id="p-0", account_id=ACCOUNT_ID, session_id="s-1", signed_out_at=T0))
    assert await live(seats) == 1


async def test_R24_only_a_user_assigned_to_the_floating_pool_may_take_a_lease(seats):
    [listed_only] = await floating_pool(seats, quantity=3, listed=1, assigned=False)
    for unassigned in (user(0), caller()):  # a listed user, and the administrator, without an assignment
        with pytest.raises(RuleViolation) as refused:
            await acquire(seats, unassigned)
        assert (refused.value.code, refused.value.rule, refused.value.refusal.value) == (
            "no_seat_assigned",
            "R24",
            "forbidden",
        )
    await command(seats, users.assign_users, SUBSCRIPTION_ID, [listed_only.user_id], caller())
    assert (await acquire(seats, user(0))).person_id == "p-0"


async def test_R26_a_floating_pool_may_have_more_users_assigned_than_seats(seats):
    assigned = await floating_pool(seats, quantity=1, listed=3)
    assert len(assigned) == 3
    await acquire(seats, user(0))
    with pytest.raises(RuleViolation) as busy:
        await acquire(seats, user(1))
    assert (busy.value.code, busy.value.rule) == ("no_free_seat", "R26")


async def test_R15_a_stranger_gets_the_same_404_for_an_existing_subscription_as_for_an_unknown_one(seats):
    await floating_pool(seats, quantity=3, listed=1)
    answers = []
    for subscription_id in (SUBSCRIPTION_ID, "no-such-subscription"):
        with pytest.raises(RuleViolation) as refused:
            await command(seats, leases.acquire, subscription_id, user(7), None)
        answers.append(
            (refused.value.code, refused.value.refusal.value, refused.value.message.replace(subscription_id, "x"))
        )
    assert answers[0] == answers[1] and answers[0][:2] == ("subscription_not_found", "not_found")


async def test_R24_unassigning_a_user_revokes_their_live_leases_at_once_with_an_event(seats):
    [ann, _] = await floating_pool(seats, quantity=2, listed=2)
    lease = await acquire(seats, user(0), "s-1")
    await acquire(seats, user(1))
    await command(seats, users.unassign_users, SUBSCRIPTION_ID, [ann.user_id], caller())
    assert await live(seats) == 1
    [revoked] = [e["data"] for e in await seats.published() if e["type"] == "seats.lease_revoked"]
    assert (revoked["lease_id"], revoked["person_id"], revoked["session_id"], revoked["reason"]) == (
        lease.lease_id,
        "p-0",
        "s-1",
        "unassigned",
    )
    with pytest.raises(RuleViolation) as refused:
        await acquire(seats, user(0))
    assert refused.value.code == "no_seat_assigned"


async def test_R26_named_user_seats_have_no_leases(seats):
    await seats.deliver(purchased(2), activated(2))
    with pytest.raises(RuleViolation) as refused:
        await acquire(seats, caller())
    assert (refused.value.code, refused.value.rule) == ("wrong_licence_type", "R26")


async def test_R28_the_end_of_the_subscription_releases_every_lease(seats):
    await floating_pool(seats, quantity=3, listed=2)
    await acquire(seats, user(0))
    await acquire(seats, user(1))
    await seats.deliver(ended("terminated", at=T0 + timedelta(minutes=5)))
    assert await live(seats) == 0
    with pytest.raises(RuleViolation) as refused:
        await acquire(seats, user(0))
    assert refused.value.rule == "R28"
