"""Identity commands that race on one row, over HTTP on PostgreSQL (as two replicas would run
them): a link verifies once, a contact is added once, and every failed sign-in counts."""

from __future__ import annotations

import asyncio
import uuid

import pytest
from sqlalchemy import select

from identity.store.tables import contacts, sign_in_throttles

from .test_api import latest_token, published, register, sign_in, signed_in

pytestmark = pytest.mark.usefixtures("postgres")  # skipped without PostgreSQL, failed where it is required


@pytest.fixture
async def service(driver_of):
    driver = await driver_of(
        database_url="postgresql://postgres@127.0.0.1:5432/test",
        db_schema=f"identity_{uuid.uuid4().hex[:8]}",
        portal_url="http://id.test",
    )
    yield driver.from_()
    await driver.runtime.db.drop_schema()  # before driver_of closes it


async def warm_pool(service, connections: int = 5) -> None:
    """Open the connections first: a request that has to open one would start too late to race."""

    async def hold(ready: asyncio.Barrier) -> None:
        async with service.driver.runtime.db.connect() as conn:
            await conn.execute(select(1))
            await ready.wait()

    ready = asyncio.Barrier(connections)
    await asyncio.gather(*(hold(ready) for _ in range(connections)))


async def rows(service, query) -> list:
    async with service.driver.runtime.db.connect() as conn:
        return list(await conn.execute(query))


async def test_R1_a_link_clicked_twice_at_once_verifies_once_and_the_second_click_is_told_so(service):
    person = await register(service)
    token = await latest_token(service, person["person_id"])
    await warm_pool(service)
    answers = await asyncio.gather(*(service.post("/verifications", json={"token": token}) for _ in range(4)))
    assert sorted(a.status_code for a in answers) == [200, 409, 409, 409]
    assert {a.json()["code"] for a in answers if a.status_code == 409} == {"link_already_used"}
    assert len(await published(service, "identity.email_verified")) == 1


async def test_R4_the_same_contact_added_four_times_at_once_is_added_once(service):
    account, auth = await signed_in(service)
    body = {"email": "bob@example.com", "first_name": "Bob", "last_name": "B"}
    await warm_pool(service)
    answers = await asyncio.gather(
        *(service.post(f"/accounts/{account['account_id']}/contacts", json=body, headers=auth) for _ in range(4))
    )
    assert sorted(a.status_code for a in answers) == [201, 409, 409, 409]
    assert {a.json()["code"] for a in answers if a.status_code == 409} == {"contact_exists"}
    assert len(await rows(service, select(contacts.c.id).where(contacts.c.email == "bob@example.com"))) == 1


async def test_R1_failed_sign_ins_at_once_all_count_toward_the_limit(service):
    await signed_in(service)
    assert (await sign_in(service, password="wrong-password-1")).status_code == 401  # the counter exists now
    answers = await asyncio.gather(*(sign_in(service, password="wrong-password-1") for _ in range(3)))
    assert [a.status_code for a in answers] == [401] * 3
    [throttle] = await rows(service, select(sign_in_throttles))
    assert throttle.failures == 4
