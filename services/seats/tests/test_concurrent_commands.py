"""Commands and events on one subscription's seats at the same time, over HTTP on PostgreSQL
(as two replicas or two workers would run them): the pool row queues them, so none undoes
another and no more seats are given than there are."""

from __future__ import annotations

import asyncio
import uuid
from datetime import timedelta

import httpx
import pytest

from devkit.testsupport import POSTGRES_URL
from seats.app import build
from seats.domain.users import NewUser, UserStatus
from seats.handlers import pools, users
from seats.settings import SeatsSettings
from servicekit.clock import FixedClock
from servicekit.http.auth import issue_token

from .conftest import T0, SeatsDriver
from .test_handlers import INVITATIONS, NEW_PRICE, activated, caller, purchased, tier_changed
from .test_users import registered

SUBSCRIPTIONS = 5  # several at once: a lost update shows on some of them, not always on one


pytestmark = pytest.mark.usefixtures("postgres")  # skipped without PostgreSQL, failed where it is required


@pytest.fixture
async def seats():
    settings = SeatsSettings(database_url=POSTGRES_URL, db_schema=f"seats_{uuid.uuid4().hex[:8]}")
    driver = await SeatsDriver.start(build(settings, clock=FixedClock(T0)))
    yield driver
    await driver.runtime.db.drop_schema()
    await driver.close()


def http(seats) -> httpx.AsyncClient:
    token = issue_token(seats.runtime.settings.token_secret, caller(), T0, timedelta(hours=1))
    return httpx.AsyncClient(
        transport=httpx.ASGITransport(app=seats.runtime.app),
        base_url="http://seats",
        headers={"Authorization": f"Bearer {token}"},
    )


async def active_pools(seats, quantity: int, count: int = SUBSCRIPTIONS) -> list[str]:
    ids = [f"s-{n}" for n in range(count)]
    for sid in ids:
        await seats.deliver(
            purchased(quantity).model_copy(update={"subscription_id": sid}),
            activated(quantity).model_copy(update={"subscription_id": sid}),
        )
    return ids


async def consumed(seats, handler, event) -> None:
    """What the consumer does with one event: apply it in a transaction of its own."""
    async with seats.uow() as uow:
        await handler(event, uow)
        await uow.commit()


async def assign(client: httpx.AsyncClient, sid: str, n: int) -> httpx.Response:
    return await client.post(f"/subscriptions/{sid}/seats/assignments", json={"email": f"user{n}@example.com"})


async def test_R25_more_assignments_at_once_than_seats_give_every_seat_once_and_refuse_the_rest(seats):
    [sid] = await active_pools(seats, quantity=4, count=1)
    async with http(seats) as client:
        answers = await asyncio.gather(*(assign(client, sid, n) for n in range(6)))
    assert sorted(a.status_code for a in answers) == [201] * 4 + [409] * 2
    assert {a.json()["code"] for a in answers if a.status_code == 409} == {"no_free_seat"}
    assert len((await seats.pool(sid)).assignments) == 4


async def test_assignments_and_a_tier_change_consumed_at_once_are_all_kept(seats):
    """A consumed event and HTTP commands race on the same pool row."""
    ids = await active_pools(seats, quantity=3)
    async with http(seats) as client:
        await asyncio.gather(
            *(
                work
                for sid in ids
                for work in (
                    assign(client, sid, 0),
                    assign(client, sid, 1),
                    consumed(
                        seats, pools.follow_tier_change, tier_changed().model_copy(update={"subscription_id": sid})
                    ),
                )
            )
        )
    for sid in ids:
        pool = await seats.pool(sid)
        assert (len(pool.assignments), pool.unit_price, pool.tier) == (2, NEW_PRICE, "premium_plus")


async def test_R22_an_invitation_resent_while_the_person_registers_leaves_them_registered(seats):
    ids = await active_pools(seats, quantity=3)
    for sid in ids:
        async with seats.uow() as uow:
            await users.add_users(
                sid,
                [NewUser(f"{sid}@example.com", "Ann", "A"), NewUser(f"other-{sid}@example.com", "Bo", "B")],
                False,
                INVITATIONS,
                caller(),
                uow,
            )
            await uow.commit()
    async with http(seats) as client:
        await asyncio.gather(
            *(
                work
                for sid in ids
                for work in (
                    client.post(f"/subscriptions/{sid}/users/invitations/resend", json={"all": True}),
                    consumed(seats, users.register_person, registered(f"{sid}@example.com", f"p-{sid}")),
                )
            )
        )
    for sid in ids:
        async with seats.uow() as uow:
            user = await uow.users.find_by_email(sid, f"{sid}@example.com")
        assert (user.status, user.person_id) == (UserStatus.REGISTERED, f"p-{sid}")
