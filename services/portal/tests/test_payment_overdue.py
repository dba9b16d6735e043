"""Access suspended because an invoice is overdue (issue 15, item 6): seats' pool carries
`payment_overdue` (`{"invoice_id", "number", "suspended_at"}`) while billing suspends the
subscription. The subscription's page, its row of the overview and its users page say so in a
banner (role "alert", in words): to the administrator with the invoice's number and a link to
its page (the one the company's invoice list links to), to anyone else "contact your
administrator". Null (not suspended) and no field at all (an older seats) show no banner.

The fakes answer as seats' `GET /subscriptions/{id}/seats` and `.../users`, and subscriptions'
`GET /subscriptions/{id}` and `GET /catalogue`, do. Today's upstreams answer these only to the
subscription's administrator (R6); `readers` lets someone else read them, for the banner meant
for a person who is not the administrator."""

from __future__ import annotations

import re
from datetime import UTC, datetime
from typing import Any

import httpx
import pytest

from portal.api.suspension import payment_overdue
from servicekit.http.auth import Caller

from .conftest import ADA, PASSWORD, FakeServices, hidden_fields, problem, subscription
from .test_buy import catalogue

MID_TERM = datetime(2026, 7, 6, 9, 0, tzinfo=UTC)
OVERDUE = {"invoice_id": "inv-7", "number": "INV-2026-000123", "suspended_at": "2026-07-04T00:00:00Z"}
BOB = Caller(person_id="p-bob", account_id="a-1", email="bob@example.com", name="Bob", locale="en")
NO_FIELD = "no field"  # seats from before issue 15: the pool has no `payment_overdue` at all
LINK = '<a href="/invoices/inv-7">See invoice INV-2026-000123 and how to pay it</a>'


class Upstream:
    """What seats and subscriptions answer to these pages: the pools, their `payment_overdue`
    by subscription (a subscription not in `overdue` has the field null)."""

    def __init__(self, fakes: FakeServices) -> None:
        self.fakes = fakes
        self.overdue: dict[str, Any] = {}
        self.readers: set[str] = set()  # people let to read besides the administrator
        route = fakes.route
        route("subscriptions", "GET", r"/subscriptions/([^/]+)")(self.subscription)
        route("subscriptions", "GET", r"/catalogue")(self.catalogue)
        route("seats", "GET", r"/subscriptions/([^/]+)/seats")(self.pool)
        route("seats", "GET", r"/subscriptions/([^/]+)/users")(self.users)

    def catalogue(self, request: httpx.Request, caller: Caller | None, match: re.Match[str]) -> httpx.Response:
        return httpx.Response(200, json=catalogue([]))

    def _readable(self, caller: Caller | None, sid: str) -> dict[str, Any] | None:
        found = self.fakes.subscriptions.get(sid)
        if caller is None or found is None or found["account_id"] != caller.account_id:
            return None
        return found if caller.person_id in {found["administrator_id"], *self.readers} else None

    def subscription(self, request: httpx.Request, caller: Caller | None, match: re.Match[str]) -> httpx.Response:
        found = self._readable(caller, match.group(1))
        return httpx.Response(200, json=found) if found else problem(404, "subscription_not_found", "No such one.")

    def pool(self, request: httpx.Request, caller: Caller | None, match: re.Match[str]) -> httpx.Response:
        s = self._readable(caller, match.group(1))
        if s is None:
            return problem(404, "subscription_not_found", "No such subscription.")
        pool = {
            "subscription_id": s["id"],
            "status": "unlocked",
            "licence_type": s["licence_type"],
            "quantity": s["quantity"],
            "scheduled_quantity": None,
            "term_end": s["term_end"],
            "deprovision_at": None,
            "trial_ends_at": None,
            "keys_per_person": 1,
            "assigned": 3,
            "assignments": [],
        }
        overdue = self.overdue.get(s["id"])
        if overdue != NO_FIELD:
            pool["payment_overdue"] = overdue
        return httpx.Response(200, json=pool)

    def users(self, request: httpx.Request, caller: Caller | None, match: re.Match[str]) -> httpx.Response:
        if self._readable(caller, match.group(1)) is None:
            return problem(404, "subscription_not_found", "No such subscription.")
        return httpx.Response(200, json={"users": []})


@pytest.fixture
async def ada(portal, clock):
    """Ada, signed in mid-term, administering s-1 and s-2 of company a-1; Bob is her colleague."""
    clock.set(MID_TERM)
    portal.fakes.subscriptions["s-1"] = subscription("s-1", ADA)
    portal.fakes.subscriptions["s-2"] = subscription("s-2", ADA)
    portal.fakes.people[BOB.email] = (PASSWORD, BOB)
    portal.upstream = Upstream(portal.fakes)
    await portal.sign_in()
    return portal


def text(html: str) -> str:
    return re.sub(r"\s+", " ", re.sub(r"<[^>]+>", " ", html))


def banners(html: str) -> list[str]:
    return re.findall(r'<div class="problem suspended" role="alert">(.*?)</div>', html, re.S)


async def test_issue15_the_administrator_sees_the_invoice_unpaid_and_a_link_to_pay_it(ada):
    ada.upstream.overdue["s-1"] = OVERDUE

    page = await ada.get("/subscriptions/s-1")

    assert page.status_code == 200
    [banner] = banners(page.text)
    said = text(banner)
    assert "Access suspended since July 4, 2026: a payment is overdue" in said
    assert (
        "Access to this subscription is suspended because invoice INV-2026-000123 is unpaid. "
        "Paying it restores access at once." in said
    )
    assert LINK in banner
    assert "Contact your administrator" not in said
    # The banner comes first, before what is in force.
    assert page.text.index('role="alert"') < page.text.index("<h2>")


async def test_issue15_someone_who_is_not_the_administrator_is_sent_to_them_without_the_invoice(ada):
    ada.upstream.overdue["s-1"] = OVERDUE
    ada.upstream.readers.add(BOB.person_id)
    await ada.post("/sign-out", data=hidden_fields((await ada.get("/subscriptions/s-1")).text))
    await ada.sign_in(BOB)

    page = await ada.get("/subscriptions/s-1")

    assert page.status_code == 200
    [banner] = banners(page.text)
    said = text(banner)
    assert "Access suspended since July 4, 2026: a payment is overdue" in said
    assert "Access to this subscription is suspended because an invoice is unpaid." in said
    assert "Contact your administrator: access comes back as soon as the invoice is paid." in said
    assert "/invoices/inv-7" not in page.text and "INV-2026-000123" not in page.text


@pytest.mark.parametrize("field", [None, NO_FIELD], ids=["null", "absent"])
async def test_issue15_no_banner_when_seats_says_null_or_sends_no_field(ada, field):
    ada.upstream.overdue["s-1"] = field
    for path in ("/subscriptions/s-1", "/subscriptions", "/subscriptions/s-1/users"):
        page = await ada.get(path)
        assert page.status_code == 200, path
        assert 'role="alert"' not in page.text and "Access suspended" not in page.text, path


async def test_issue15_the_overview_says_it_under_the_suspended_subscription_s_row_only(ada):
    ada.upstream.overdue["s-1"] = OVERDUE

    page = await ada.get("/subscriptions")

    assert page.status_code == 200
    [banner] = banners(page.text)
    assert LINK in banner
    rows = re.findall(r"<tr[^>]*>.*?</tr>", page.text.split("<tbody>")[1], re.S)
    suspended = next(i for i, row in enumerate(rows) if 'class="suspended-row"' in row)
    assert "s-1" in rows[suspended - 1] and 'colspan="7"' in rows[suspended]
    assert all("s-2" not in row for row in rows[suspended - 1 : suspended + 1])


async def test_issue15_the_users_page_of_a_suspended_subscription_says_so_too(ada):
    ada.upstream.overdue["s-1"] = OVERDUE

    page = await ada.get("/subscriptions/s-1/users")

    assert page.status_code == 200
    [banner] = banners(page.text)
    assert "because invoice INV-2026-000123 is unpaid" in text(banner) and LINK in banner


async def test_issue15_the_banner_speaks_the_page_s_language(ada):
    ada.upstream.overdue["s-1"] = OVERDUE
    form = hidden_fields((await ada.get("/subscriptions")).text)
    await ada.post("/language", data={"csrf_token": form["csrf_token"], "locale": "fr", "next": "/subscriptions"})

    page = await ada.get("/subscriptions/s-1")

    said = text(banners(page.text)[0])
    assert "Accès suspendu depuis le 4 juillet 2026 : un paiement est en retard" in said
    assert "la facture INV-2026-000123 n'est pas payée" in said.replace("&#39;", "'")
    assert "Voir la facture INV-2026-000123 et comment la payer" in said


def test_issue15_what_seats_sends_is_read_defensively():
    """Another service's field: anything but an object is no suspension; an id the invoice page
    would refuse is no link, a date that is not one is left out; the banner stays."""
    s = subscription("s-1", ADA)
    assert payment_overdue({"payment_overdue": OVERDUE}, s, ADA.person_id) == {
        "administrator": True,
        "invoice_id": "inv-7",
        "number": "INV-2026-000123",
        "suspended_at": datetime(2026, 7, 4, tzinfo=UTC),
    }
    for pool in (None, [], {}, {"payment_overdue": None}, {"payment_overdue": "inv-7"}):
        assert payment_overdue(pool, s, ADA.person_id) is None, pool
    odd = {"invoice_id": "../inv.html", "number": 123, "suspended_at": "yesterday"}
    assert payment_overdue({"payment_overdue": odd}, s, ADA.person_id) == {
        "administrator": True,
        "invoice_id": None,
        "number": None,
        "suspended_at": None,
    }
    # Not the administrator: neither the invoice nor its number.
    seen = payment_overdue({"payment_overdue": OVERDUE}, s, BOB.person_id)
    assert seen is not None and seen["administrator"] is False
    assert seen["invoice_id"] is None and seen["number"] is None
