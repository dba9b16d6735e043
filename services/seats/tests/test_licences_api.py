"""`GET /licences`, the company-wide licence view (R39): every licence the caller administers
for the account they act for, with its users and their seat, searchable, a page at a time;
nothing of anyone else's."""

from __future__ import annotations

import httpx
import pytest

from contracts.testing import ADA, SUBSCRIPTION_ID, SubscriptionStory
from contracts.values import Contact, LicenceType
from servicekit.http.auth import Caller

from .test_routes import ADMINISTRATOR_CALLER, EVE, auth

OTHER = "sub-other"
EVES = "sub-eve"


@pytest.fixture
async def http(seats):
    transport = httpx.ASGITransport(app=seats.runtime.app)
    async with httpx.AsyncClient(transport=transport, base_url="http://seats") as client:
        yield client


async def licence(seats, story: SubscriptionStory) -> None:
    await seats.deliver(story.purchased(), story.activated())


async def two_licences_and_eves(seats, http):
    await licence(seats, SubscriptionStory(quantity=3))
    await licence(seats, SubscriptionStory(subscription_id=OTHER, quantity=2, licence_type=LicenceType.FLOATING))
    eve = Contact(person_id=EVE.person_id, email=EVE.email, name="Eve")
    await licence(seats, SubscriptionStory(subscription_id=EVES, account_id=EVE.account_id, administrator=eve))
    for sid, who, people in (
        (SUBSCRIPTION_ID, ADMINISTRATOR_CALLER, [("ann", True), ("bob", False)]),
        (OTHER, ADMINISTRATOR_CALLER, [("ann", False)]),
        (EVES, EVE, [("zed", True)]),
    ):
        for name, assign in people:
            answer = await http.post(
                f"/subscriptions/{sid}/users",
                headers=auth(seats, who),
                json={
                    "users": [{"email": f"{name}@example.com", "first_name": name.title(), "last_name": "T"}],
                    "assign_seats": assign,
                },
            )
            assert answer.status_code == 201, answer.text


async def test_R39_every_licence_administered_with_its_users_and_their_seat(seats, http):
    await two_licences_and_eves(seats, http)

    answer = await http.get("/licences", headers=auth(seats))

    assert answer.status_code == 200, answer.text
    body = answer.json()
    assert {(lic["subscription_id"], lic["quantity"], lic["assigned"], lic["status"]) for lic in body["licences"]} == {
        (SUBSCRIPTION_ID, 3, 1, "unlocked"),
        (OTHER, 2, 0, "unlocked"),
    }
    assert [u["email"] for u in body["users"]] == ["ann@example.com", "ann@example.com", "bob@example.com"]
    assert {(u["subscription_id"], u["seat_assigned"]) for u in body["users"] if u["email"] == "ann@example.com"} == {
        (SUBSCRIPTION_ID, True),
        (OTHER, False),
    }
    assert all(u["status"] == "invited" and u["first_name"] for u in body["users"])


async def test_R39_search_by_name_or_e_mail(seats, http):
    await two_licences_and_eves(seats, http)

    by_mail = (await http.get("/licences", params={"text": "BOB@"}, headers=auth(seats))).json()
    by_name = (await http.get("/licences", params={"text": "ann"}, headers=auth(seats))).json()
    pattern = (await http.get("/licences", params={"text": "%"}, headers=auth(seats))).json()

    assert [u["email"] for u in by_mail["users"]] == ["bob@example.com"]
    assert {u["email"] for u in by_name["users"]} == {"ann@example.com"} and len(by_name["users"]) == 2
    assert pattern["users"] == []  # a filter is text, not a pattern
    assert len(by_mail["licences"]) == 2  # the licences are there to assign to, whatever the filter


async def test_R39_R6_nothing_of_another_company_nor_of_the_same_person_acting_for_another_account(seats, http):
    await two_licences_and_eves(seats, http)

    eves = (await http.get("/licences", headers=auth(seats, EVE))).json()
    elsewhere = Caller(person_id=ADA.person_id, account_id="another-account", email=ADA.email, session_id="s-x")
    other_account = (await http.get("/licences", headers=auth(seats, elsewhere))).json()

    assert [lic["subscription_id"] for lic in eves["licences"]] == [EVES]
    assert [u["email"] for u in eves["users"]] == ["zed@example.com"]
    assert other_account == {"licences": [], "users": []}
    assert (await http.get("/licences")).status_code == 401


async def test_R39_users_come_a_page_at_a_time(seats, http):
    await two_licences_and_eves(seats, http)

    first = await http.get("/licences", params={"limit": 2}, headers=auth(seats))
    cursor = first.headers["x-next-cursor"]
    second = await http.get("/licences", params={"limit": 2, "cursor": cursor}, headers=auth(seats))

    assert len(first.json()["users"]) == 2 and len(second.json()["users"]) == 1
    assert "x-next-cursor" not in second.headers
    seen = [(u["email"], u["user_id"]) for u in first.json()["users"] + second.json()["users"]]
    assert seen == sorted(seen) and len(set(seen)) == 3
