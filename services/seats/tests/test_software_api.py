"""`GET /me/software` ("My software", R40): what the signed-in person may use now, through which
licence, asked about themselves only; a locked pool (R21), an unassigned user (R24), an expired
lease (R26) and the end of the subscription (R28) grant nothing."""

from __future__ import annotations

from datetime import timedelta

import httpx
import pytest

from contracts.testing import ACCOUNT_ID, ADA, SubscriptionStory
from contracts.values import LicenceType
from seats.domain.users import NewUser
from seats.handlers import devices, leases, users
from servicekit.http.auth import Caller, issue_token

from .test_handlers import INVITATIONS, command

ANN = Caller(person_id="p-ann", account_id="a-ann", email="ann@example.com", session_id="s-ann")
BOB = Caller(person_id="p-bob", account_id="a-bob", email="bob@example.com", session_id="s-bob")
ADMINISTRATOR = Caller(person_id=ADA.person_id, account_id=ACCOUNT_ID, email=ADA.email, session_id="s-adm")


@pytest.fixture
async def http(seats):
    transport = httpx.ASGITransport(app=seats.runtime.app)
    async with httpx.AsyncClient(transport=transport, base_url="http://seats") as client:
        yield client


def auth(seats, who: Caller) -> dict[str, str]:
    token = issue_token(seats.runtime.settings.token_secret, who, seats.clock.now(), timedelta(minutes=30))
    return {"Authorization": f"Bearer {token}"}


async def pool(seats, sid: str, licence: LicenceType, product="designer", tier="standard", activate=True):
    story = SubscriptionStory(subscription_id=sid, product=product, tier=tier, licence_type=licence, quantity=2)
    events = [story.purchased()] + ([story.activated()] if activate else [])
    await seats.deliver(*events)
    return story


async def add(seats, sid: str, who: Caller, assigned: bool = True):
    user = NewUser(who.email, who.email[:3].title(), "Tester")
    await command(seats, users.add_users, sid, [user], assigned, INVITATIONS, _admin())


def _admin() -> Caller:
    return Caller(person_id=ADA.person_id, account_id=ACCOUNT_ID, email=ADA.email)


async def software(seats, http, who: Caller) -> list[dict]:
    answer = await http.get("/me/software", headers=auth(seats, who))
    assert answer.status_code == 200, answer.text
    return answer.json()["software"]


async def test_R40_every_product_the_person_may_use_now_and_through_which_licence(seats, http):
    await pool(seats, "s-named", LicenceType.NAMED_USER, tier="premium")
    await pool(seats, "s-float", LicenceType.FLOATING, product="printserver")
    await pool(seats, "s-node", LicenceType.NODE_LOCKED, product="printserver", tier="premium_plus")
    for sid in ("s-named", "s-float", "s-node"):
        await add(seats, sid, ANN)
    lease = await command(seats, leases.acquire, "s-float", ANN, "s-ann")
    [key, _] = await command(seats, devices.list_keys, "s-node", _admin())
    await command(seats, devices.activate, "s-node", key.key_id, "dev-1", "Ann's laptop", ANN)

    found = await software(seats, http, ANN)

    assert [(s["product"], s["subscription_id"], s["tier"], s["licence_type"], s["assigned"]) for s in found] == [
        ("designer", "s-named", "premium", "named_user", True),
        ("printserver", "s-float", "standard", "floating", True),
        ("printserver", "s-node", "premium_plus", "node_locked", True),
    ]
    assert found[1]["leases"] == [
        {
            "lease_id": lease.lease_id,
            "acquired_at": lease.acquired_at.isoformat().replace("+00:00", "Z"),
            "expires_at": lease.expires_at.isoformat().replace("+00:00", "Z"),
        }
    ]
    assert [(d["key_id"], d["device_id"], d["device_name"]) for d in found[2]["devices"]] == [
        (key.key_id, "dev-1", "Ann's laptop")
    ]
    assert found[0]["leases"] == found[0]["devices"] == []


async def test_R40_R6_a_person_is_told_only_about_themselves(seats, http):
    await pool(seats, "s-named", LicenceType.NAMED_USER)
    await add(seats, "s-named", ANN)
    assert await software(seats, http, BOB) == []
    # The administrator of the subscription holds no seat of it: nothing is theirs to use.
    assert await software(seats, http, ADMINISTRATOR) == []
    # No parameter names anyone else: one asked about is ignored, the answer is the caller's.
    answer = await http.get("/me/software", params={"email": ANN.email}, headers=auth(seats, BOB))
    assert answer.json()["software"] == []
    assert (await http.get("/me/software")).status_code == 401


async def test_R22_an_invited_user_is_found_by_the_e_mail_they_were_invited_at(seats, http):
    """Before seats has heard of their registration the seat user has no person id: the token's
    e-mail finds it (case aside)."""
    await pool(seats, "s-named", LicenceType.NAMED_USER)
    await add(seats, "s-named", ANN)
    shouting = Caller(person_id="p-new", account_id="a-x", email="ANN@Example.com")
    assert [s["subscription_id"] for s in await software(seats, http, shouting)] == ["s-named"]


async def test_R21_R24_a_locked_pool_or_a_listed_user_without_a_seat_grants_nothing(seats, http):
    await pool(seats, "s-locked", LicenceType.NAMED_USER, activate=False)
    await pool(seats, "s-named", LicenceType.NAMED_USER)
    await add(seats, "s-named", ANN, assigned=False)
    assert await software(seats, http, ANN) == []


async def test_R26_an_expired_lease_is_not_shown_but_the_floating_assignment_still_is(seats, http):
    await pool(seats, "s-float", LicenceType.FLOATING)
    await add(seats, "s-float", ANN)
    await command(seats, leases.acquire, "s-float", ANN, "s-ann")
    seats.clock.advance(timedelta(hours=1, seconds=1))
    [found] = await software(seats, http, ANN)
    assert (found["licence_type"], found["assigned"], found["leases"]) == ("floating", True, [])


async def test_the_answer_is_documented_as_about_the_caller_only(seats, http):
    operation = (await http.get("/openapi.json")).json()["paths"]["/me/software"]["get"]
    assert "about themselves only" in operation["description"]
    # Nothing names whom to ask about (the header parameters of every route aside).
    assert {p["in"] for p in operation.get("parameters", [])} <= {"header"}


async def test_R28_an_ended_subscription_grants_nothing_any_more(seats, http):
    story = await pool(seats, "s-named", LicenceType.NAMED_USER)
    await add(seats, "s-named", ANN)
    assert len(await software(seats, http, ANN)) == 1
    await seats.deliver(story.ended(reason="cancelled"))
    assert await software(seats, http, ANN) == []
