"""The users pages ("Gérer les utilisateurs", R21–R25, R5) and the company-wide licence view
(R39), against fake seats endpoints answering the paths, bodies and shapes seats answers
(`seats/api/users.py`, `pools.py`, `licences.py`)."""

from __future__ import annotations

import json
import re
import time
from dataclasses import dataclass, field
from typing import Any

import httpx
import pytest

from .conftest import ADA, EVE, hidden_fields, problem, subscription

ADDED_AT = "2026-01-05T09:00:00Z"


@dataclass
class FakeSeats:
    """Seats' users and pools, as far as these pages call them: one dict per subscription."""

    fakes: Any
    users: dict[str, list[dict[str, Any]]] = field(default_factory=dict)  # subscription → users
    pool_status: dict[str, str] = field(default_factory=dict)

    def admin_of(self, sid: str, caller) -> bool:
        found = self.fakes.subscriptions.get(sid)
        return bool(
            caller
            and found
            and found["administrator_id"] == caller.person_id
            and found["account_id"] == caller.account_id
        )

    def add(self, sid: str, email: str, first: str = "Ann", last: str = "Tester", seat: bool = False, **extra):
        listed = self.users.setdefault(sid, [])
        user = {
            "user_id": f"u-{sid}-{len(listed) + 1}",
            "email": email,
            "first_name": first,
            "last_name": last,
            "status": "invited",
            "person_id": None,
            "seat_assigned": seat,
            "added_at": ADDED_AT,
            "invited_at": ADDED_AT,
            **extra,
        }
        listed.append(user)
        return user

    def assigned(self, sid: str) -> int:
        return sum(1 for u in self.users.get(sid, []) if u["seat_assigned"])

    def install(self) -> None:
        route = self.fakes.route

        @route("seats", "GET", r"/subscriptions/([^/]+)/seats")
        def pool(request, caller, match):
            sid = match.group(1)
            if caller is None:
                return problem(401, "unauthenticated", "Sign in.")
            if not self.admin_of(sid, caller):
                return problem(404, "subscription_not_found", "No such subscription.")
            s = self.fakes.subscriptions[sid]
            return httpx.Response(
                200,
                json={
                    "subscription_id": sid,
                    "status": self.pool_status.get(sid, "unlocked"),
                    "licence_type": s["licence_type"],
                    "quantity": s["quantity"],
                    "scheduled_quantity": None,
                    "term_end": s["term_end"],
                    "deprovision_at": None,
                    "trial_ends_at": None,
                    "keys_per_person": 1,
                    "assigned": self.assigned(sid),
                    "assignments": [],
                },
            )

        @route("seats", "GET", r"/subscriptions/([^/]+)/users")
        def listing(request, caller, match):
            sid = match.group(1)
            if not self.admin_of(sid, caller):
                return problem(404, "subscription_not_found", "No such subscription.")
            users = self.users.get(sid, [])
            text, status = request.url.params.get("text"), request.url.params.get("status")
            if status:
                users = [u for u in users if u["status"] == status]
            if text:
                users = [
                    u for u in users if any(text.lower() in u[k].lower() for k in ("email", "first_name", "last_name"))
                ]
            return self._page(request, users, lambda shown: {"users": shown})

        @route("seats", "POST", r"/subscriptions/([^/]+)/users")
        def add(request, caller, match):
            sid = match.group(1)
            if not self.admin_of(sid, caller):
                return problem(404, "subscription_not_found", "No such subscription.")
            body = json.loads(request.content)
            new = body["users"]
            listed = {u["email"] for u in self.users.get(sid, [])}
            if any(not n["first_name"] or not n["last_name"] or n["email"] in listed for n in new):
                return problem(422, "invalid_users", "Nothing was added: user 1: already a user.")
            free = self.fakes.subscriptions[sid]["quantity"] - self.assigned(sid)
            if body.get("assign_seats") and len(new) > free:
                return problem(409, "no_free_seat", f"{len(new)} seats asked, {free} free.")
            added = [self.add(sid, n["email"], n["first_name"], n["last_name"], body.get("assign_seats")) for n in new]
            return httpx.Response(201, json={"users": added, "event_ids": []})

        @route("seats", "POST", r"/subscriptions/([^/]+)/(users/assignments|users/unassign|users/invitations/resend)")
        def grid(request, caller, match):
            sid, what = match.group(1), match.group(2)
            if not self.admin_of(sid, caller):
                return problem(404, "subscription_not_found", "No such subscription.")
            body = json.loads(request.content)
            by_id = {u["user_id"]: u for u in self.users.get(sid, [])}
            if body.get("all"):
                chosen = [u for u in by_id.values() if u["status"] == "invited"]
            else:
                if any(i not in by_id for i in body["user_ids"]):
                    return problem(404, "user_not_found", "No such user.")
                chosen = [by_id[i] for i in body["user_ids"]]
            if what == "users/assignments":
                free = self.fakes.subscriptions[sid]["quantity"] - self.assigned(sid)
                if len(chosen) > free:
                    return problem(409, "no_free_seat", "Not enough free seats.")
                for u in chosen:
                    u["seat_assigned"] = True
            elif what == "users/unassign":
                if any(not u["seat_assigned"] for u in chosen):
                    return problem(409, "not_assigned", "No seat to free.")
                for u in chosen:
                    u["seat_assigned"] = False
            return httpx.Response(200, json={"users": chosen, "event_ids": []})

        @route("seats", "GET", r"/licences")
        def licences(request, caller, match):
            if caller is None:
                return problem(401, "unauthenticated", "Sign in.")
            mine = [sid for sid in self.fakes.subscriptions if self.admin_of(sid, caller)]
            held = [
                {
                    "subscription_id": sid,
                    "product": self.fakes.subscriptions[sid]["product"],
                    "tier": self.fakes.subscriptions[sid]["tier"],
                    "licence_type": self.fakes.subscriptions[sid]["licence_type"],
                    "status": self.pool_status.get(sid, "unlocked"),
                    "quantity": self.fakes.subscriptions[sid]["quantity"],
                    "assigned": self.assigned(sid),
                }
                for sid in mine
            ]
            rows = sorted(
                (
                    {k: u[k] for k in ("user_id", "email", "first_name", "last_name", "status", "seat_assigned")}
                    | {"subscription_id": sid}
                    for sid in mine
                    for u in self.users.get(sid, [])
                ),
                key=lambda u: (u["email"], u["user_id"]),
            )
            text = request.url.params.get("text")
            if text:
                rows = [
                    u for u in rows if any(text.lower() in u[k].lower() for k in ("email", "first_name", "last_name"))
                ]
            return self._page(request, rows, lambda shown: {"licences": held, "users": shown})

        @route("seats", "POST", r"/subscriptions/([^/]+)/seats/assignments")
        def by_email(request, caller, match):
            sid = match.group(1)
            if not self.admin_of(sid, caller):
                return problem(404, "subscription_not_found", "No such subscription.")
            email = json.loads(request.content)["email"]
            user = self.add(sid, email, "", "", seat=True)
            return httpx.Response(201, json={"user_id": user["user_id"], "email": email, "assigned_at": ADDED_AT})

    @staticmethod
    def _page(request: httpx.Request, rows: list[dict[str, Any]], body) -> httpx.Response:
        """Seats' `page_answer`: at most `limit` rows, the next cursor in `X-Next-Cursor`."""
        limit = int(request.url.params.get("limit", 100))
        start = int(request.url.params.get("cursor", "0").removeprefix("c") or 0)
        shown = rows[start : start + limit]
        headers = {"X-Next-Cursor": f"c{start + limit}"} if len(rows) > start + limit else {}
        return httpx.Response(200, json=body(shown), headers=headers)


@pytest.fixture
def seats(portal) -> FakeSeats:
    fake = FakeSeats(portal.fakes)
    fake.install()
    portal.fakes.subscriptions["s-1"] = subscription("s-1", ADA, quantity=3)
    return fake


def posted(portal, path: str) -> list[dict[str, Any]]:
    return [json.loads(r.content) for r in portal.fakes.calls("POST", path)]


def form_of(html: str, action: str) -> dict[str, str]:
    """The hidden fields of the form posting to `action`."""
    start = html.index(f'action="{action}"')
    end = html.index("</form>", start)
    return hidden_fields(html[start:end])


# -- the list ------------------------------------------------------------------------------


async def test_R22_the_users_page_lists_the_pool_s_users_with_status_seat_and_seats_used(portal, seats):
    seats.add("s-1", "ann@example.com", "Ann", "Able", seat=True)
    seats.add("s-1", "bob@example.com", "Bob", "Baker", status="registered")
    await portal.sign_in()

    page = await portal.get("/subscriptions/s-1/users")

    assert page.status_code == 200, page.text
    assert "1 of 3 seats used" in page.text
    assert "ann@example.com" in page.text and "Bob Baker" in page.text
    assert "Registered" in page.text and "Invited" in page.text
    assert '<a href="/subscriptions/s-1/users/import">Import users</a>' in page.text
    assert page.text.count("<h1>") == 1 and "<caption>" in page.text


async def test_R22_search_and_status_filter_go_to_seats_as_one_list_call(portal, seats):
    seats.add("s-1", "ann@example.com", "Ann", "Able")
    seats.add("s-1", "bob@example.com", "Bob", "Baker", status="registered")
    await portal.sign_in()

    page = await portal.get("/subscriptions/s-1/users", params={"q": " bob\n", "status": "registered"})

    assert "bob@example.com" in page.text and "ann@example.com" not in page.text
    [call] = portal.fakes.calls("GET", "/subscriptions/s-1/users")
    assert call.url.params["text"] == "bob" and call.url.params["status"] == "registered"
    unknown = await portal.get("/subscriptions/s-1/users", params={"status": "anything"})
    assert "status" not in portal.fakes.calls("GET", "/subscriptions/s-1/users")[-1].url.params
    assert unknown.status_code == 200


async def test_R22_a_thousand_users_render_a_page_at_a_time_with_four_upstream_calls(portal, seats):
    for n in range(1000):
        seats.add("s-1", f"user{n:04}@example.com", "User", f"N{n}")
    await portal.sign_in()
    before = len(portal.fakes.requests)

    started = time.perf_counter()
    page = await portal.get("/subscriptions/s-1/users")
    elapsed = time.perf_counter() - started

    assert page.status_code == 200
    assert len(portal.fakes.requests) - before == 4  # subscription, pool, one page of users, the catalogue (names)
    assert page.text.count('name="user_id"') == 100
    assert "user0099@example.com" in page.text and "user0100@example.com" not in page.text
    assert elapsed < 2  # generous for CI; make bench measures the real figure
    nxt = re.search(r'<a href="([^"]+)" rel="next">Next page</a>', page.text)
    assert nxt is not None
    second = await portal.get(nxt.group(1).replace("&amp;", "&"))
    assert "user0100@example.com" in second.text and "First page" in second.text


# -- adding one user -----------------------------------------------------------------------


async def test_R22_R25_adding_a_user_sends_one_command_however_often_the_form_is_sent(portal, seats):
    await portal.sign_in()
    page = await portal.get("/subscriptions/s-1/users")
    form = form_of(page.text, "/subscriptions/s-1/users")
    data = {**form, "email": " Ann@Example.com ", "first_name": "Ann", "last_name": "Able", "assign": "yes"}

    first = await portal.post("/subscriptions/s-1/users", data=data)
    second = await portal.post("/subscriptions/s-1/users", data=data)  # a double click

    assert first.status_code == second.status_code == 303
    assert first.headers["location"] == "/subscriptions/s-1/users?done=added"
    calls = portal.fakes.calls("POST", "/subscriptions/s-1/users")
    assert [c.headers["idempotency-key"] for c in calls] == [form["add_key"]] * 2
    assert json.loads(calls[0].content) == {
        "users": [{"email": "ann@example.com", "first_name": "Ann", "last_name": "Able", "locale": "en"}],
        "assign_seats": True,
    }
    assert len(seats.users["s-1"]) == 1
    done = await portal.get(first.headers["location"])
    assert "The user is added and invited by e-mail." in done.text and "1 of 3 seats used" in done.text


async def test_R25_no_free_seat_is_shown_and_what_was_typed_is_kept(portal, seats):
    portal.fakes.subscriptions["s-1"]["quantity"] = 1
    seats.add("s-1", "ann@example.com", seat=True)
    await portal.sign_in()
    form = form_of((await portal.get("/subscriptions/s-1/users")).text, "/subscriptions/s-1/users")

    answer = await portal.post(
        "/subscriptions/s-1/users",
        data={**form, "email": "bob@example.com", "first_name": "Bob", "last_name": "Baker", "assign": "yes"},
    )

    assert answer.status_code == 409
    assert 'role="alert"' in answer.text and "There are not enough free seats" in answer.text
    assert 'value="bob@example.com"' in answer.text and 'value="Baker"' in answer.text
    assert len(seats.users["s-1"]) == 1


async def test_R22_a_user_already_listed_is_refused_with_a_clear_message(portal, seats):
    seats.add("s-1", "ann@example.com")
    await portal.sign_in()
    form = form_of((await portal.get("/subscriptions/s-1/users")).text, "/subscriptions/s-1/users")

    answer = await portal.post(
        "/subscriptions/s-1/users", data={**form, "email": "ann@example.com", "first_name": "A", "last_name": "B"}
    )

    assert answer.status_code == 422 and "already in the list" in answer.text


@pytest.mark.parametrize(
    ("email", "first", "last", "message"),
    [
        ("", "Ann", "Able", "Enter the user&#39;s e-mail address."),
        ("not-an-address", "Ann", "Able", "This is not an e-mail address."),
        ("a@example.com, b@example.com", "Ann", "Able", "This is not an e-mail address."),
        ("ann@example.com", "", "Able", "Enter the user&#39;s first name and last name."),
        ("ann@example.com", "Ann", "x" * 201, "A name is at most 200 characters."),
    ],
)
async def test_R22_bad_input_is_refused_at_the_edge_and_nothing_typed_is_lost(
    portal, seats, email, first, last, message
):
    await portal.sign_in()
    form = form_of((await portal.get("/subscriptions/s-1/users")).text, "/subscriptions/s-1/users")

    answer = await portal.post(
        "/subscriptions/s-1/users", data={**form, "email": email, "first_name": first, "last_name": last}
    )

    assert answer.status_code == 422 and message in answer.text
    assert f'value="{first}"' in answer.text
    assert portal.fakes.calls("POST", "/subscriptions/s-1/users") == []


# -- the grid: assign, unassign, resend, remove --------------------------------------------


async def test_R25_assign_selected_sends_the_selection_with_the_grid_s_key_once(portal, seats):
    a = seats.add("s-1", "ann@example.com")
    b = seats.add("s-1", "bob@example.com")
    await portal.sign_in()
    grid = form_of((await portal.get("/subscriptions/s-1/users")).text, "/subscriptions/s-1/users/assign")
    data = {**grid, "user_id": [a["user_id"], b["user_id"]]}

    first = await portal.post("/subscriptions/s-1/users/assign", data=data)
    second = await portal.post("/subscriptions/s-1/users/assign", data=data)

    assert first.status_code == second.status_code == 303
    assert first.headers["location"] == "/subscriptions/s-1/users?done=assigned"
    calls = portal.fakes.calls("POST", "/subscriptions/s-1/users/assignments")
    assert [c.headers["idempotency-key"] for c in calls] == [grid["assign_key"]] * 2
    assert json.loads(calls[0].content) == {"user_ids": [a["user_id"], b["user_id"]]}
    assert seats.assigned("s-1") == 2


async def test_R25_too_few_free_seats_keeps_the_selection_and_says_why(portal, seats):
    portal.fakes.subscriptions["s-1"]["quantity"] = 1
    a, b = seats.add("s-1", "ann@example.com"), seats.add("s-1", "bob@example.com")
    await portal.sign_in()
    grid = form_of((await portal.get("/subscriptions/s-1/users")).text, "/subscriptions/s-1/users/assign")

    answer = await portal.post(
        "/subscriptions/s-1/users/assign", data={**grid, "user_id": [a["user_id"], b["user_id"]]}
    )

    assert answer.status_code == 409 and "There are not enough free seats" in answer.text
    assert len(re.findall(r'name="user_id" value="[^"]+" id="select-\d+" checked>', answer.text)) == 2  # still ticked
    assert seats.assigned("s-1") == 0


async def test_R24_unassign_selected_frees_the_seats(portal, seats):
    a = seats.add("s-1", "ann@example.com", seat=True)
    await portal.sign_in()
    grid = form_of((await portal.get("/subscriptions/s-1/users")).text, "/subscriptions/s-1/users/assign")

    answer = await portal.post("/subscriptions/s-1/users/unassign", data={**grid, "user_id": [a["user_id"]]})

    assert answer.status_code == 303 and answer.headers["location"].endswith("done=unassigned")
    [call] = portal.fakes.calls("POST", "/subscriptions/s-1/users/unassign")
    assert call.headers["idempotency-key"] == grid["unassign_key"]
    assert seats.assigned("s-1") == 0


async def test_nothing_selected_is_a_clear_message_and_no_command(portal, seats):
    seats.add("s-1", "ann@example.com")
    await portal.sign_in()
    grid = form_of(
        (await portal.get("/subscriptions/s-1/users", params={"q": "ann"})).text, "/subscriptions/s-1/users/assign"
    )

    answer = await portal.post("/subscriptions/s-1/users/resend", data=grid)

    assert answer.status_code == 422 and "Select at least one user." in answer.text
    assert 'value="ann"' in answer.text  # the search is kept
    assert portal.fakes.calls("POST", "/subscriptions/s-1/users/invitations/resend") == []


async def test_R22_invitations_are_resent_to_the_selection_or_to_everyone_pending(portal, seats):
    a = seats.add("s-1", "ann@example.com")
    seats.add("s-1", "bob@example.com")
    await portal.sign_in()
    page = (await portal.get("/subscriptions/s-1/users")).text
    grid = form_of(page, "/subscriptions/s-1/users/assign")
    everyone = form_of(page, "/subscriptions/s-1/users/resend-all")

    selected = await portal.post("/subscriptions/s-1/users/resend", data={**grid, "user_id": [a["user_id"]]})
    pending = await portal.post("/subscriptions/s-1/users/resend-all", data=everyone)

    assert selected.status_code == pending.status_code == 303
    assert posted(portal, "/subscriptions/s-1/users/invitations/resend") == [
        {"user_ids": [a["user_id"]]},
        {"all": True},
    ]
    keys = [
        c.headers["idempotency-key"] for c in portal.fakes.calls("POST", "/subscriptions/s-1/users/invitations/resend")
    ]
    assert keys == [grid["resend_key"], everyone["resend_all_key"]]
    assert "The invitations are sent again." in (await portal.get(pending.headers["location"])).text


async def test_R24_R5_remove_selected_asks_for_confirmation_then_frees_the_seats_once(portal, seats):
    a = seats.add("s-1", "ann@example.com", "Ann", "Able", seat=True)
    b = seats.add("s-1", "bob@example.com", "Bob", "Baker")
    await portal.sign_in()
    grid = form_of((await portal.get("/subscriptions/s-1/users")).text, "/subscriptions/s-1/users/assign")

    confirm = await portal.post(
        "/subscriptions/s-1/users/remove", data={**grid, "user_id": [a["user_id"], b["user_id"]]}
    )

    assert confirm.status_code == 200
    assert "<h1>Remove users</h1>" in confirm.text
    assert "loses access at once" in confirm.text and "Ann Able" in confirm.text
    assert "These users have no seat: nothing changes for them." in confirm.text and "Bob Baker" in confirm.text
    assert portal.fakes.calls("POST", "/subscriptions/s-1/users/unassign") == []  # nothing yet
    fields = form_of(confirm.text, "/subscriptions/s-1/users/remove")
    assert fields["confirm"] == "yes"
    data = {**fields, "user_id": [a["user_id"]]}

    first = await portal.post("/subscriptions/s-1/users/remove", data=data)
    second = await portal.post("/subscriptions/s-1/users/remove", data=data)

    assert first.status_code == second.status_code == 303
    assert first.headers["location"].endswith("done=removed")
    calls = portal.fakes.calls("POST", "/subscriptions/s-1/users/unassign")
    assert [c.headers["idempotency-key"] for c in calls] == [fields["remove_key"]] * 2
    assert json.loads(calls[0].content) == {"user_ids": [a["user_id"]]}
    assert len(seats.users["s-1"]) == 2 and seats.assigned("s-1") == 0  # R5: still listed


async def test_a_form_without_its_rendered_key_or_csrf_token_sends_nothing(portal, seats):
    a = seats.add("s-1", "ann@example.com")
    await portal.sign_in()
    grid = form_of((await portal.get("/subscriptions/s-1/users")).text, "/subscriptions/s-1/users/assign")

    no_key = await portal.post(
        "/subscriptions/s-1/users/assign", data={"csrf_token": grid["csrf_token"], "user_id": a["user_id"]}
    )
    no_csrf = await portal.post(
        "/subscriptions/s-1/users/assign", data={"assign_key": grid["assign_key"], "user_id": a["user_id"]}
    )

    assert no_key.status_code == 404 and no_csrf.status_code == 403
    assert portal.fakes.calls("POST", "/subscriptions/s-1/users/assignments") == []


# -- who may see -----------------------------------------------------------------------------


async def test_R6_another_company_s_subscription_is_the_same_page_as_an_unknown_one(portal, seats):
    portal.fakes.subscriptions["s-eve"] = subscription("s-eve", EVE)
    seats.add("s-eve", "zed@example.com")
    await portal.sign_in(ADA)

    theirs = await portal.get("/subscriptions/s-eve/users")
    unknown = await portal.get("/subscriptions/s-nothing/users")
    malformed = await portal.get("/subscriptions/%3Cx%3E/users")

    assert theirs.status_code == unknown.status_code == malformed.status_code == 404
    assert "zed@example.com" not in theirs.text
    form = hidden_fields(unknown.text)
    add = await portal.post(
        "/subscriptions/s-eve/users",
        data={**form, "add_key": "k" * 32, "email": "x@example.com", "first_name": "X", "last_name": "Y"},
    )
    assert add.status_code == 404 and len(seats.users["s-eve"]) == 1


async def test_signed_out_the_pages_lead_to_sign_in(portal, seats):
    for path in ("/subscriptions/s-1/users", "/licences"):
        answer = await portal.get(path)
        assert answer.status_code == 303 and answer.headers["location"].startswith("/sign-in?next=")


async def test_the_users_page_renders_in_french(portal, seats):
    seats.add("s-1", "ann@example.com", seat=True)
    await portal.sign_in()
    form = hidden_fields((await portal.get("/subscriptions/s-1/users")).text)
    await portal.post("/language", data={"csrf_token": form["csrf_token"], "locale": "fr", "next": "/"})

    page = await portal.get("/subscriptions/s-1/users")

    assert page.status_code == 200 and '<html lang="fr">' in page.text
    assert "Retour à vos abonnements" in page.text
    licences = await portal.get("/licences")
    assert licences.status_code == 200 and '<html lang="fr">' in licences.text


# -- the company-wide licence view (R39) ----------------------------------------------------


async def test_R39_every_licence_with_its_users_on_one_page(portal, seats):
    portal.fakes.subscriptions["s-2"] = subscription("s-2", ADA, product="viewer", quantity=5)
    portal.fakes.subscriptions["s-eve"] = subscription("s-eve", EVE, product="secret")
    seats.add("s-1", "ann@example.com", "Ann", "Able", seat=True)
    seats.add("s-2", "ann@example.com", "Ann", "Able")
    seats.add("s-2", "bob@example.com", "Bob", "Baker")
    seats.add("s-eve", "zed@example.com", "Zed", "Z")
    await portal.sign_in()
    before = len(portal.fakes.requests)

    page = await portal.get("/licences")

    assert page.status_code == 200, page.text
    assert len(portal.fakes.requests) - before == 2  # one call to seats' /licences, and the catalogue for the names
    assert "designer Standard" in page.text and "viewer Standard" in page.text and "secret" not in page.text
    assert "1 of 3 seats used" in page.text and "0 of 5 seats used" in page.text
    assert page.text.count('<th scope="row">Ann Able</th>') == 1  # one row per person
    assert "zed@example.com" not in page.text
    assert '<a href="/subscriptions/s-1/users">Manage users</a>' in page.text


async def test_R39_searching_by_name_or_e_mail(portal, seats):
    seats.add("s-1", "ann@example.com", "Ann", "Able")
    seats.add("s-1", "bob@example.com", "Bob", "Baker")
    await portal.sign_in()

    page = await portal.get("/licences", params={"q": "baker"})

    assert "bob@example.com" in page.text and "ann@example.com" not in page.text
    assert portal.fakes.calls("GET", "/licences")[-1].url.params["text"] == "baker"


async def test_R39_R25_assigning_from_the_licence_view_uses_the_user_listed_there_once(portal, seats):
    portal.fakes.subscriptions["s-2"] = subscription("s-2", ADA, product="viewer", quantity=5)
    seats.add("s-1", "ann@example.com", "Ann", "Able", seat=True)
    listed = seats.add("s-2", "ann@example.com", "Ann", "Able")
    await portal.sign_in()
    page = (await portal.get("/licences")).text
    form = form_of(page, "/licences/assign")
    assert f'<option value="s-2/{listed["user_id"]}">' in page
    assert '<option value="s-1' not in page  # she already has a seat there

    data = {**form, "licence": f"s-2/{listed['user_id']}"}
    first = await portal.post("/licences/assign", data=data)
    second = await portal.post("/licences/assign", data=data)

    assert first.status_code == second.status_code == 303 and first.headers["location"] == "/licences?done=assigned"
    calls = portal.fakes.calls("POST", "/subscriptions/s-2/users/assignments")
    assert [c.headers["idempotency-key"] for c in calls] == [form["idempotency_key"]] * 2
    assert json.loads(calls[0].content) == {"user_ids": [listed["user_id"]]}
    assert listed["seat_assigned"] is True
    assert "The selected users have a seat." in (await portal.get("/licences?done=assigned")).text


async def test_R39_R4_assigning_someone_not_listed_in_that_licence_adds_them_with_their_names(portal, seats):
    portal.fakes.subscriptions["s-2"] = subscription("s-2", ADA, product="viewer", quantity=5)
    seats.add("s-1", "bob@example.com", "Bob", "Baker")
    await portal.sign_in()
    page = (await portal.get("/licences")).text
    form = form_of(page, "/licences/assign")

    answer = await portal.post("/licences/assign", data={**form, "licence": "s-2"})

    assert answer.status_code == 303
    assert posted(portal, "/subscriptions/s-2/users") == [
        {"users": [{"email": "bob@example.com", "first_name": "Bob", "last_name": "Baker"}], "assign_seats": True}
    ]


async def test_R39_a_refusal_is_shown_on_the_licence_view(portal, seats):
    portal.fakes.subscriptions["s-1"]["quantity"] = 0
    listed = seats.add("s-1", "ann@example.com", "Ann", "Able")
    await portal.sign_in()
    form = form_of((await portal.get("/licences")).text, "/licences/assign")

    answer = await portal.post("/licences/assign", data={**form, "licence": f"s-1/{listed['user_id']}"})

    assert answer.status_code == 409 and "There are not enough free seats" in answer.text


async def test_R39_another_company_s_licence_cannot_be_assigned_from_the_view(portal, seats):
    portal.fakes.subscriptions["s-eve"] = subscription("s-eve", EVE)
    seats.add("s-1", "ann@example.com", "Ann", "Able")
    await portal.sign_in()
    form = form_of((await portal.get("/licences")).text, "/licences/assign")

    answer = await portal.post("/licences/assign", data={**form, "licence": "s-eve"})
    malformed = await portal.post("/licences/assign", data={**form, "licence": "<x>"})

    assert answer.status_code == malformed.status_code == 404
    assert "s-eve" not in seats.users


async def test_R21_while_seats_are_locked_the_page_says_so_and_offers_no_seat_with_a_new_user(portal, seats):
    seats.pool_status["s-1"] = "locked"
    await portal.sign_in()

    page = await portal.get("/subscriptions/s-1/users")

    assert page.status_code == 200 and "Seats are locked until the agreement is accepted" in page.text
    assert 'id="new-assign" name="assign" type="checkbox" value="yes">' in page.text  # not ticked
