"""R41: an assignment tells the licence e-mail what it needs (product, licence type, how the
product is used, the user's name and language) and, node-locked, reserves a key for that user:
only they activate it, it is freed when they lose their seat. R40: "My software" shows the
product's links and the key kept for them. R20: add-ons reach the pool."""

from __future__ import annotations

import uuid

import httpx
import pytest

from contracts.errors import RuleViolation
from contracts.testing import SUBSCRIPTION_ID, SubscriptionStory
from contracts.values import LicenceType, Software
from devkit.testsupport import POSTGRES_URL
from seats.app import build
from seats.domain.users import NewUser
from seats.handlers import devices, pools, users
from seats.settings import SeatsSettings
from servicekit.clock import FixedClock

from .conftest import T0, SeatsDriver
from .test_handlers import INVITATIONS, caller, command
from .test_software_api import ANN, BOB, software

DESKTOP = Software(
    kind="desktop",
    start_url="https://printserver.example.com/",
    download_url="https://downloads.example.com/printserver.msi",
    modules=["spooler"],
)
WEB = Software(kind="web", start_url="https://designer.example.com/start")


@pytest.fixture(params=["sqlite", "postgres"], name="seats")
async def seats_on_both_databases(request, tmp_path):
    """The service on SQLite and on PostgreSQL: kept keys and the JSON columns on both."""
    schema = None
    if request.param == "postgres":
        request.getfixturevalue("postgres")  # skipped without PostgreSQL
        url, schema = POSTGRES_URL, f"seats_{uuid.uuid4().hex[:8]}"
    else:
        url = f"sqlite:///{tmp_path}/seats.db"
    extra = {"db_schema": schema} if schema else {}
    settings = SeatsSettings(database_url=url, consumer_max_attempts=1, consumer_backoff_seconds=0.001, **extra)
    driver = await SeatsDriver.start(build(settings, clock=FixedClock(T0)))
    yield driver
    if schema:
        await driver.runtime.db.drop_schema()
    await driver.close()


@pytest.fixture
async def http(seats):
    transport = httpx.ASGITransport(app=seats.runtime.app)
    async with httpx.AsyncClient(transport=transport, base_url="http://seats") as client:
        yield client


async def open_pool(seats, licence: LicenceType, sw: Software | None, quantity: int = 2) -> SubscriptionStory:
    story = SubscriptionStory(product="printserver", licence_type=licence, quantity=quantity)
    await seats.deliver(story.purchased(), story.activated(software=sw))
    return story


async def add(seats, *people, assign=True):
    new = [NewUser(p.email, p.email[:3].title(), "Tester", locale="fr") for p in people]
    return await command(seats, users.add_users, SUBSCRIPTION_ID, new, assign, INVITATIONS, caller())


async def assignments(seats) -> list[dict]:
    return [e["data"] for e in await seats.published() if e["type"] == "seats.seat_assigned"]


async def test_R41_a_node_locked_assignment_carries_the_licence_facts_and_a_key_kept_for_the_user(seats):
    await open_pool(seats, LicenceType.NODE_LOCKED, DESKTOP)
    await add(seats, ANN, BOB)
    keys = await command(seats, devices.list_keys, SUBSCRIPTION_ID, caller())
    ann, bob = await assignments(seats)
    assert (ann["product"], ann["licence_type"], ann["name"], ann["locale"]) == (
        "printserver",
        "node_locked",
        "Ann Tester",
        "fr",
    )
    assert ann["software"]["download_url"] == DESKTOP.download_url
    assert [ann["activation_key"], bob["activation_key"]] == [k.key_id for k in keys]


async def test_R41_named_and_floating_assignments_carry_links_and_no_key(seats):
    await open_pool(seats, LicenceType.FLOATING, WEB)
    await add(seats, ANN)
    [ann] = await assignments(seats)
    assert (ann["licence_type"], ann["software"]["start_url"], ann["activation_key"]) == (
        "floating",
        WEB.start_url,
        None,
    )


async def test_R41_a_key_kept_for_one_user_is_activated_by_them_only(seats):
    await open_pool(seats, LicenceType.NODE_LOCKED, DESKTOP)
    await add(seats, ANN, BOB)
    ann, bob = (a["activation_key"] for a in await assignments(seats))
    with pytest.raises(RuleViolation) as refused:
        await command(seats, devices.activate, SUBSCRIPTION_ID, ann, "dev-b", "Bob's", BOB)
    assert (refused.value.code, refused.value.rule) == ("key_kept_for_another_user", "R41")
    assert (await command(seats, devices.activate, SUBSCRIPTION_ID, ann, "dev-a", "Ann's", ANN)).is_active
    assert (await command(seats, devices.activate, SUBSCRIPTION_ID, bob, "dev-b", "Bob's", BOB)).is_active


async def test_R41_R24_the_kept_key_is_freed_at_unassignment_and_kept_for_the_next_user(seats):
    await open_pool(seats, LicenceType.NODE_LOCKED, DESKTOP, quantity=1)
    [ann_user] = await add(seats, ANN)
    [first] = await assignments(seats)
    await command(seats, users.unassign_users, SUBSCRIPTION_ID, [ann_user.user_id], caller())
    await add(seats, BOB)
    [_, second] = await assignments(seats)
    assert second["activation_key"] == first["activation_key"]
    assert (await command(seats, devices.activate, SUBSCRIPTION_ID, first["activation_key"], "d", "B", BOB)).is_active


async def test_R41_an_assignment_where_no_key_is_free_says_so_with_none(seats):
    """Ann may hold two keys (R27): she activated both before Bob was assigned."""
    await open_pool(seats, LicenceType.NODE_LOCKED, DESKTOP)
    await command(seats, pools.set_policy, SUBSCRIPTION_ID, 2, caller())
    await add(seats, ANN)
    keys = await command(seats, devices.list_keys, SUBSCRIPTION_ID, caller())
    for n, key in enumerate(keys):
        await command(seats, devices.activate, SUBSCRIPTION_ID, key.key_id, f"dev-{n}", "Ann's", ANN)
    await add(seats, BOB)
    assert [a["activation_key"] for a in await assignments(seats)] == [keys[0].key_id, None]


async def test_R40_my_software_gives_the_links_and_the_kept_key(seats, http):
    story = await open_pool(seats, LicenceType.NODE_LOCKED, DESKTOP)
    await seats.deliver(story.addon_added("render_farm"))
    await add(seats, ANN)
    [ann] = await assignments(seats)
    [found] = await software(seats, http, ANN)
    assert (found["kind"], found["start_url"], found["download_url"], found["licence"]) == (
        "desktop",
        DESKTOP.start_url,
        DESKTOP.download_url,
        "node-locked key",
    )
    assert (found["activation_key"], found["modules"], found["add_ons"]) == (
        ann["activation_key"],
        ["spooler"],
        ["render_farm"],
    )


async def test_R40_a_tier_change_brings_its_software_and_an_older_pool_has_no_links(seats, http):
    story = await open_pool(seats, LicenceType.NAMED_USER, None)
    await add(seats, ANN)
    [found] = await software(seats, http, ANN)
    assert (found["kind"], found["start_url"], found["activation_key"]) == (None, None, None)
    await seats.deliver(story.tier_changed(software=WEB))
    [found] = await software(seats, http, ANN)
    assert (found["kind"], found["start_url"]) == ("web", WEB.start_url)


async def test_R20_an_add_on_published_again_is_kept_once(seats):
    story = await open_pool(seats, LicenceType.NAMED_USER, WEB)
    added = story.addon_added("render_farm")
    await seats.deliver(added, added.model_copy())
    assert (await seats.pool(SUBSCRIPTION_ID)).add_ons == ["render_farm"]
