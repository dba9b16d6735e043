"""The seats HTTP edge, through the real FastAPI app (in process, on SQLite): what a request may
hold (issue 11: CR/LF and address lists once stalled every tenant's e-mail), lists a page at a
time, answers that are the same for "not yours" and "does not exist", and OpenAPI documents
that say who may call each route and what it answers."""

from __future__ import annotations

from datetime import timedelta

import httpx
import pytest

from contracts.testing import ACCOUNT_ID, ADA, SUBSCRIPTION_ID
from contracts.values import LicenceType
from seats.api.schemas import ADMINISTRATOR
from servicekit.http.auth import Caller, issue_token

from .test_handlers import activated, purchased

ANN = Caller(person_id="p-ann", account_id="a-ann", email="ann@example.com", session_id="s-ann")
EVE = Caller(person_id="p-eve", account_id="a-eve", email="eve@example.com", session_id="s-eve")
ADMINISTRATOR_CALLER = Caller(person_id=ADA.person_id, account_id=ACCOUNT_ID, email=ADA.email, session_id="s-adm")


@pytest.fixture
async def http(seats):
    transport = httpx.ASGITransport(app=seats.runtime.app)
    async with httpx.AsyncClient(transport=transport, base_url="http://seats") as client:
        yield client


def auth(seats, who: Caller = ADMINISTRATOR_CALLER) -> dict[str, str]:
    token = issue_token(seats.runtime.settings.token_secret, who, seats.clock.now(), timedelta(minutes=30))
    return {"Authorization": f"Bearer {token}"}


async def pool(seats, quantity=3, licence=LicenceType.NAMED_USER):
    kind = {"licence_type": licence}
    await seats.deliver(purchased(quantity).model_copy(update=kind), activated(quantity).model_copy(update=kind))


BREAKS = ["Ann\r\nBcc: everyone@example.com", "Ann\nB", "Ann\x00", "Ann\u2028B"]


@pytest.mark.parametrize("name", BREAKS, ids=["crlf", "lf", "nul", "line-separator"])
async def test_R22_a_name_with_a_line_break_or_a_control_character_is_refused_422_and_nothing_kept(seats, http, name):
    await pool(seats)
    answer = await http.post(
        f"/subscriptions/{SUBSCRIPTION_ID}/users",
        headers=auth(seats),
        json={"users": [{"email": "ann@example.com", "first_name": name, "last_name": "A"}]},
    )
    assert answer.status_code == 422 and answer.json()["code"] == "invalid_request", answer.text
    listed = await http.get(f"/subscriptions/{SUBSCRIPTION_ID}/users", headers=auth(seats))
    assert listed.json()["users"] == []
    assert not [e for e in await seats.published() if e["type"] == "seats.user_invited"]


@pytest.mark.parametrize(
    "email",
    [
        "a@example.com, b@example.com",
        "a@example.com\r\nBcc: b@example.com",
        "Ann <a@example.com>",
        "a@example.com;b@example.com",
    ],
)
async def test_R22_an_e_mail_field_takes_exactly_one_address(seats, http, email):
    await pool(seats)
    for path, body in (
        (f"/subscriptions/{SUBSCRIPTION_ID}/users", {"users": [{"email": email, "first_name": "A", "last_name": "B"}]}),
        (f"/subscriptions/{SUBSCRIPTION_ID}/seats/assignments", {"email": email}),
    ):
        answer = await http.post(path, headers=auth(seats), json=body)
        assert answer.status_code == 422 and answer.json()["code"] == "invalid_request", (path, answer.text)
    assert (
        await http.get("/access", params={"product": "designer", "email": email}, headers=auth(seats))
    ).status_code == 422
    assert not [e for e in await seats.published() if e["type"] == "seats.user_invited"]


async def test_R22_filters_and_device_names_are_one_line(seats, http):
    await pool(seats, licence=LicenceType.NODE_LOCKED)
    resend = await http.post(
        f"/subscriptions/{SUBSCRIPTION_ID}/users/invitations/resend", headers=auth(seats), json={"text": "ann\r\nx"}
    )
    listing = await http.get(f"/subscriptions/{SUBSCRIPTION_ID}/users", params={"text": "a\nb"}, headers=auth(seats))
    keys = (await http.get(f"/subscriptions/{SUBSCRIPTION_ID}/keys", headers=auth(seats))).json()["keys"]
    device = await http.post(
        f"/subscriptions/{SUBSCRIPTION_ID}/keys/{keys[0]['key_id']}/activation",
        headers=auth(seats),
        json={"device_id": "dev\r\nX-Injected: 1"},
    )
    assert [a.status_code for a in (resend, listing, device)] == [422, 422, 422]


async def test_R16_the_users_list_comes_a_page_at_a_time_with_a_link_to_the_next(seats, http):
    await pool(seats)
    body = {"users": [{"email": f"u{n}@example.com", "first_name": "U", "last_name": str(n)} for n in range(7)]}
    added = await http.post(f"/subscriptions/{SUBSCRIPTION_ID}/users", headers=auth(seats), json=body)
    assert added.status_code == 201
    seen, url = [], f"/subscriptions/{SUBSCRIPTION_ID}/users?limit=3"
    while url:
        page = await http.get(url, headers=auth(seats))
        assert page.status_code == 200 and len(page.json()["users"]) <= 3
        seen += [u["email"] for u in page.json()["users"]]
        url = page.links.get("next", {}).get("url")
        assert (url is None) == ("X-Next-Cursor" not in page.headers)
    assert sorted(seen) == sorted(f"u{n}@example.com" for n in range(7)) and len(seen) == 7
    too_big = await http.get(f"/subscriptions/{SUBSCRIPTION_ID}/users?limit=501", headers=auth(seats))
    assert too_big.status_code == 422


async def test_R16_keys_and_leases_come_a_page_at_a_time(seats, http):
    await pool(seats, quantity=5, licence=LicenceType.NODE_LOCKED)
    first = await http.get(f"/subscriptions/{SUBSCRIPTION_ID}/keys?limit=2", headers=auth(seats))
    rest = await http.get(first.links["next"]["url"], headers=auth(seats))
    last = await http.get(rest.links["next"]["url"], headers=auth(seats))
    ids = [k["key_id"] for page in (first, rest, last) for k in page.json()["keys"]]
    assert len(ids) == len(set(ids)) == 5 and "next" not in last.links


async def test_R15_leases_and_keys_answer_404_alike_for_not_yours_and_does_not_exist(seats, http):
    await pool(seats, licence=LicenceType.FLOATING)
    answers = []
    for subscription_id in (SUBSCRIPTION_ID, "no-such-subscription"):
        lease = await http.post(f"/subscriptions/{subscription_id}/leases", headers=auth(seats, EVE))
        key = await http.post(f"/subscriptions/{subscription_id}/keys/K-1/deactivation", headers=auth(seats, EVE))
        answers.append(
            [(a.status_code, a.json()["code"], a.json()["message"].replace(subscription_id, "x")) for a in (lease, key)]
        )
    assert answers[0] == answers[1] and {a[0] for a in answers[0]} == {404}


async def test_R6_access_about_someone_else_answers_as_about_nobody(seats, http):
    await pool(seats)
    added = await http.post(
        f"/subscriptions/{SUBSCRIPTION_ID}/users",
        headers=auth(seats),
        json={"users": [{"email": ANN.email, "first_name": "Ann", "last_name": "A"}], "assign_seats": True},
    )
    assert added.status_code == 201

    def ask(who: Caller, email: str):
        return http.get("/access", params={"product": "designer", "email": email}, headers=auth(seats, who))

    assert (await ask(ANN, ANN.email)).json()["allowed"] is True
    assert (await ask(ADMINISTRATOR_CALLER, ANN.email)).json()["allowed"] is True
    about_ann, about_nobody = (await ask(EVE, ANN.email)).json(), (await ask(EVE, "nobody@example.com")).json()
    assert about_ann == about_nobody and about_ann["allowed"] is False


async def test_R22_every_seats_route_documents_who_may_call_it_and_what_it_answers(seats, http):
    spec = (await http.get("/openapi.json")).json()
    undocumented, unanswered = [], []
    for path, operations in spec["paths"].items():
        if path.startswith("/ops/") or path in ("/health", "/ready"):
            continue
        for method, operation in operations.items():
            if "Who may call" not in operation.get("description", ""):
                undocumented.append(f"{method.upper()} {path}")
            if path.endswith((".csv", ".xlsx")):
                continue  # a file, not JSON
            answer = next(v for k, v in operation["responses"].items() if k != "422")  # 422: FastAPI's own
            if not answer.get("content", {}).get("application/json", {}).get("schema"):
                unanswered.append(f"{method.upper()} {path}")
    assert undocumented == [] and unanswered == []
    assert ADMINISTRATOR in spec["paths"]["/subscriptions/{subscription_id}/seats"]["get"]["description"]
    command = spec["paths"]["/subscriptions/{subscription_id}/seats/quantity"]["post"]["responses"]["200"]
    answer = command["content"]["application/json"]["schema"]["$ref"].rsplit("/", 1)[1]
    assert "event_ids" in spec["components"]["schemas"][answer]["properties"]
