"""Managing a subscription ("Gérer l'abonnement"): what is in force and scheduled (R35), the
quantity with its price before confirming (R25, R29, R30), tier and quantity together (R37),
the tier change as an amendment to accept (R12, R13), the billing cycle (R16), cancellation
with a reason from a list and a review (R14, R49), the transfer of administration (R17, R38),
purchase details (R18) and add-ons (R20). The fakes answer the paths and shapes of
subscriptions, seats and identity; each command is one however often its form is sent."""

from __future__ import annotations

import json
import re
from datetime import UTC, datetime
from typing import Any

import httpx
import pytest

from .conftest import ADA, EVE, FakeServices, hidden_fields, problem, subscription
from .test_buy import catalogue

MID_TERM = datetime(2026, 7, 6, 9, 0, tzinfo=UTC)  # 183 of the term's 365 days left


def owned(fakes: FakeServices, caller: Any, sid: str) -> dict[str, Any] | None:
    found = fakes.subscriptions.get(sid)
    if caller is None or found is None:
        return None
    if found["administrator_id"] != caller.person_id or found["account_id"] != caller.account_id:
        return None
    return found


def body_of(request: httpx.Request) -> Any:
    return json.loads(request.content) if request.content else None


class Upstream:
    """What subscriptions, seats and identity answer to these pages, with their state."""

    def __init__(self, fakes: FakeServices) -> None:
        self.fakes = fakes
        self.scheduled_quantity: dict[str, int] = {}
        self.amendments: dict[str, dict[str, Any]] = {}
        self.contacts = [
            contact("c-1", ADA.email, "Ada", "Lovelace", ADA.person_id),
            contact("c-2", "bob@example.com", "Bob", "Builder", "p-bob"),
            contact("c-3", "cy@example.com", "Cy", "Young", None),
        ]
        self.lines: list[dict[str, Any]] = []  # billing's invoice lines of s-1
        self.company_administrator = True  # identity lets only the company's administrators add contacts
        self.commands: dict[str, int] = {}  # path → commands applied (a replayed key is not one)
        sub = r"/subscriptions/([^/]+)"
        routes = [
            ("seats", "GET", sub + "/seats", self.pool),
            ("seats", "POST", sub + "/seats/quantity", self.quantity),
            ("subscriptions", "GET", sub + "/tier-change-preview", self.preview),
            ("subscriptions", "POST", sub + "/amendments", self.propose),
            ("subscriptions", "GET", sub + "/amendments/([^/]+)", self.amendment),
            ("subscriptions", "POST", sub + "/amendments/([^/]+)/acceptance", self.accept),
            ("subscriptions", "POST", sub + "/billing-cycle", self.cycle),
            ("subscriptions", "POST", sub + "/cancellation", self.cancel),
            ("subscriptions", "POST", sub + "/cancellation/withdrawal", self.withdraw),
            ("subscriptions", "POST", sub + "/administrator", self.transfer),
            ("subscriptions", "PUT", sub + "/purchase-details", self.purchase_details),
            ("subscriptions", "POST", sub + "/addons", self.addon),
            ("billing", "GET", sub + "/invoice-lines", self.invoice_lines),
            ("identity", "GET", r"/accounts/([^/]+)/contacts", self.list_contacts),
            ("identity", "POST", r"/accounts/([^/]+)/contacts", self.add_contact),
        ]
        for service, method, pattern, handler in routes:
            fakes.route(service, method, pattern)(self._counted(handler))
        fakes.route("subscriptions", "GET", r"/catalogue")(self.catalogue)

    def catalogue(self, request: httpx.Request, caller: Any, match: re.Match[str]) -> httpx.Response:
        """subscriptions' `GET /catalogue`, as test_buy's packaged catalogue (the tiers and add-ons)."""
        return httpx.Response(200, json=catalogue([]))

    def _counted(self, handler: Any) -> Any:
        def answer(request: httpx.Request, caller: Any, match: re.Match[str]) -> httpx.Response:
            if caller is None:
                return problem(401, "unauthenticated", "Sign in.")
            if match.re.pattern.startswith("/subscriptions/") and owned(self.fakes, caller, match.group(1)) is None:
                return problem(404, "subscription_not_found", "No such subscription.")
            found = handler(request, caller, match)
            if request.method != "GET" and found.is_success:
                self.commands[request.url.path] = self.commands.get(request.url.path, 0) + 1
            return found

        return answer

    def _s(self, match: re.Match[str]) -> dict[str, Any]:
        return self.fakes.subscriptions[match.group(1)]

    def pool(self, request: httpx.Request, caller: Any, match: re.Match[str]) -> httpx.Response:
        s = self._s(match)
        return httpx.Response(
            200,
            json={
                "subscription_id": s["id"],
                "status": "unlocked",
                "licence_type": s["licence_type"],
                "quantity": s["quantity"],
                "scheduled_quantity": self.scheduled_quantity.get(s["id"]),
                "term_end": s["term_end"],
                "deprovision_at": None,
                "trial_ends_at": None,
                "keys_per_person": 1,
                "assigned": 3,
                "assignments": [],
            },
        )

    def quantity(self, request: httpx.Request, caller: Any, match: re.Match[str]) -> httpx.Response:
        s, wanted = self._s(match), body_of(request)["quantity"]
        if wanted == s["quantity"]:
            return problem(422, "quantity_unchanged", f"The quantity is already {wanted}.")
        if wanted < 3:
            return problem(409, "decrease_below_assigned", "3 seats are assigned; unassign users first.")
        if wanted > s["quantity"]:
            s["quantity"] = wanted
        else:
            self.scheduled_quantity[s["id"]] = wanted
        return self.pool(request, caller, match)

    def _quote(self, s: dict[str, Any], tier: str) -> httpx.Response:
        prices = {"standard": 36500, "premium": 73000, "premium_plus": 109500}
        if s["status"] != "active":
            return problem(409, "not_active", "Only an active subscription changes tier.")
        if tier == s["tier"]:
            return problem(409, "same_tier", "Already that tier.")
        if s["product"] == "printserver" and prices[tier] < prices[s["tier"]]:
            return problem(409, "downgrade_not_allowed", "printserver is software assurance.")
        remaining, in_term = 183, 365
        credit = -round(s["quantity"] * s["unit_price"]["amount_minor"] * remaining / in_term)
        charge = round(s["quantity"] * prices[tier] * remaining / in_term)
        return httpx.Response(
            200,
            json={
                "from_tier": s["tier"],
                "to_tier": tier,
                "quantity": s["quantity"],
                "days_remaining": remaining,
                "days_in_term": in_term,
                "credit": {"amount_minor": credit, "currency": "EUR"},
                "charge": {"amount_minor": charge, "currency": "EUR"},
                "net": {"amount_minor": credit + charge, "currency": "EUR"},
                "new_unit_price": {"amount_minor": prices[tier], "currency": "EUR"},
            },
        )

    def preview(self, request: httpx.Request, caller: Any, match: re.Match[str]) -> httpx.Response:
        return self._quote(self._s(match), request.url.params["tier"])

    def propose(self, request: httpx.Request, caller: Any, match: re.Match[str]) -> httpx.Response:
        s, tier = self._s(match), body_of(request)["tier"]
        quote = self._quote(s, tier)
        if not quote.is_success:
            return quote
        aid = f"am-{len(self.amendments) + 1}"
        self.amendments[aid] = {
            "id": aid,
            "subscription_id": s["id"],
            "from_tier": s["tier"],
            "to_tier": tier,
            "new_unit_price": json.loads(quote.content)["new_unit_price"],
            "status": "open",
            "proposed_at": "2026-07-06T09:00:00Z",
            "accept": {"method": "POST", "path": f"/subscriptions/{s['id']}/amendments/{aid}/acceptance"},
        }
        return httpx.Response(201, json={**self.amendments[aid], "event_ids": ["e-2"]})

    def amendment(self, request: httpx.Request, caller: Any, match: re.Match[str]) -> httpx.Response:
        found = self.amendments.get(match.group(2))
        if found is None or found["subscription_id"] != match.group(1):
            return problem(404, "amendment_not_found", "No such amendment.")
        return httpx.Response(200, json=found)

    def accept(self, request: httpx.Request, caller: Any, match: re.Match[str]) -> httpx.Response:
        s, found = self._s(match), self.amendments.get(match.group(2))
        if found is None:
            return problem(404, "amendment_not_found", "No such amendment.")
        if found["status"] != "open":
            return problem(409, "amendment_not_open", "This amendment is not open.")
        found["status"], s["tier"], s["unit_price"] = "accepted", found["to_tier"], found["new_unit_price"]
        return httpx.Response(200, json={**s, "event_ids": ["e-3"]})

    def cycle(self, request: httpx.Request, caller: Any, match: re.Match[str]) -> httpx.Response:
        s, to = self._s(match), body_of(request)["billing_cycle"]
        if s["billing_cycle"] == "annual" and to == "monthly":
            return problem(409, "outside_cycle_change_window", "Only in the last month of the annual term.")
        s["scheduled_billing_cycle"] = to
        return httpx.Response(200, json={**s, "event_ids": []})

    def cancel(self, request: httpx.Request, caller: Any, match: re.Match[str]) -> httpx.Response:
        s = self._s(match)
        if s["cancels_at"]:
            return problem(409, "already_cancelled", "A cancellation is already scheduled.")
        if s["billing_cycle"] == "annual" and s.get("_window") == "closed":
            return problem(409, "outside_cancellation_window", "Only in the last month of the term.")
        s["cancels_at"], s["_reason"] = s["term_end"], body_of(request)["reason"]
        return httpx.Response(200, json={**s, "event_ids": []})

    def withdraw(self, request: httpx.Request, caller: Any, match: re.Match[str]) -> httpx.Response:
        s = self._s(match)
        if not s["cancels_at"]:
            return problem(409, "no_cancellation", "No cancellation is scheduled.")
        s["cancels_at"] = None
        return httpx.Response(200, json={**s, "event_ids": []})

    def transfer(self, request: httpx.Request, caller: Any, match: re.Match[str]) -> httpx.Response:
        s, email = self._s(match), body_of(request)["email"]
        found = next((c for c in self.contacts if c["email"] == email), None)
        if found is None:
            return problem(409, "not_a_company_contact", "Not a contact.")
        if found["person_id"] is None:
            return problem(409, "contact_not_registered", "Not registered.")
        s["administrator_id"] = found["person_id"]
        return httpx.Response(200, json={**s, "event_ids": []})

    def purchase_details(self, request: httpx.Request, caller: Any, match: re.Match[str]) -> httpx.Response:
        s, body = self._s(match), body_of(request)
        if body["payment_method"] and re.search(r"\d{12,}", body["payment_method"]):
            return problem(422, "card_number_refused", "Never a card number.")
        s["po_number"], s["next_payment_method"] = body["po_number"], body["payment_method"]
        return httpx.Response(200, json={**s, "event_ids": []})

    def addon(self, request: httpx.Request, caller: Any, match: re.Match[str]) -> httpx.Response:
        s, code = self._s(match), body_of(request)["addon"]
        if s["status"] != "active":
            return problem(409, "not_active", "Only a paid subscription takes an add-on (R20).")
        if code in s["addons"]:
            return problem(409, "addon_already_added", "Already there.")
        s["addons"] = [*s["addons"], code]
        return httpx.Response(200, json={**s, "event_ids": []})

    def invoice_lines(self, request: httpx.Request, caller: Any, match: re.Match[str]) -> httpx.Response:
        total = sum(line["amount"]["amount_minor"] for line in self.lines)
        return httpx.Response(
            200,
            json={
                "subscription_id": match.group(1),
                "lines": self.lines,
                "total": {"amount_minor": total, "currency": "EUR"} if self.lines else None,
            },
        )

    def list_contacts(self, request: httpx.Request, caller: Any, match: re.Match[str]) -> httpx.Response:
        if match.group(1) != caller.account_id:
            return problem(404, "account_not_found", "No such account.")
        return httpx.Response(200, json=self.contacts)

    def add_contact(self, request: httpx.Request, caller: Any, match: re.Match[str]) -> httpx.Response:
        body = body_of(request)
        if not self.company_administrator:
            return problem(403, "not_an_administrator", "Only the account's administrators add contacts.")
        if any(c["email"] == body["email"] for c in self.contacts):
            return problem(409, "contact_exists", "Already a contact.")
        added = contact(f"c-{len(self.contacts) + 1}", body["email"], body["first_name"], body["last_name"], None)
        added["locale"] = body["locale"]
        self.contacts.append(added)
        return httpx.Response(201, json={**added, "event_ids": []})


def contact(cid: str, email: str, first: str, last: str, person_id: str | None) -> dict[str, Any]:
    return {
        "contact_id": cid,
        "email": email,
        "first_name": first,
        "last_name": last,
        "locale": "en",
        "role": "member",
        "status": "linked" if person_id else "invited",
        "person_id": person_id,
    }


@pytest.fixture
async def ada(portal, clock):
    """Ada, signed in mid-term, administering s-1 (annual, 1200 Standard seats at €365)."""
    clock.set(MID_TERM)
    portal.fakes.subscriptions["s-1"] = subscription("s-1", ADA)
    portal.fakes.subscriptions["s-eve"] = subscription("s-eve", EVE)
    portal.upstream = Upstream(portal.fakes)
    await portal.sign_in()
    return portal


def text(html: str) -> str:
    return re.sub(r"\s+", " ", re.sub(r"<[^>]+>", " ", html))


# -- the subscription and the overview (R35) ---------------------------------------------------


async def test_R35_the_subscription_page_shows_what_is_in_force_and_scheduled(ada):
    s = ada.fakes.subscriptions["s-1"]
    s.update(
        cancels_at="2027-01-05T09:00:00Z",
        scheduled_billing_cycle="monthly",
        po_number="PO-77",
        payment_method="SEPA mandate 12",
        next_payment_method="Visa ending 4242",
        addons=["cloud_storage"],
    )
    ada.upstream.scheduled_quantity["s-1"] = 1000

    page = await ada.get("/subscriptions/s-1")

    assert page.status_code == 200
    shown = text(page.text)
    for expected in (
        "Designer",
        "Standard",
        "Named user",
        "1,200 seats",
        "3 assigned",
        "€365.00",
        "Annual",
        "January 5, 2026 to January 5, 2027",
        "Active",
        "PO-77",
        "SEPA mandate 12 (from the next renewal: Visa ending 4242)",
        "Cloud storage, 1 TB",
        "Cancelled: ends on January 5, 2027",
        "Decreases to 1,000 seats on January 5, 2027",
        "Billed monthly from January 5, 2027",
        "Withdraw the cancellation",
    ):
        assert expected in shown, expected
    for link in ("/subscriptions/s-1/users", "/subscriptions/s-1/invoices", "/subscriptions/s-1/administrator"):
        assert f'href="{link}"' in page.text


async def test_R35_the_overview_links_each_subscription_and_says_what_is_scheduled(ada):
    ada.fakes.subscriptions["s-1"].update(cancels_at="2027-01-05T09:00:00Z", scheduled_billing_cycle="monthly")

    page = await ada.get("/subscriptions")

    assert page.status_code == 200
    for link in ("/subscriptions/s-1", "/subscriptions/s-1/users", "/subscriptions/s-1/invoices"):
        assert f'href="{link}"' in page.text
    assert "Cancelled: ends on January 5, 2027" in page.text
    assert "Billed monthly from January 5, 2027" in page.text
    assert "s-eve" not in page.text
    assert "Decreases to" not in page.text  # the overview reads no pool yet: see the report


async def test_R35_the_overview_row_shows_a_decrease_when_the_row_carries_it(ada):
    ada.fakes.subscriptions["s-1"]["scheduled_quantity"] = 1000  # as the overview would add it from seats
    page = await ada.get("/subscriptions")
    assert "Decreases to 1,000 seats on January 5, 2027" in page.text


async def test_another_companys_subscription_or_a_malformed_id_is_the_not_found_page(ada):
    for path in (
        "/subscriptions/s-eve",
        "/subscriptions/s-eve/change?quantity=1300&tier=standard",
        "/subscriptions/s-eve/cancellation",
        "/subscriptions/s-eve/administrator",
        "/subscriptions/s-1/amendments/am-unknown",
        "/subscriptions/s-nope",
        "/subscriptions/s%20bad",
    ):
        answer = await ada.get(path)
        assert answer.status_code == 404, path
    fields = hidden_fields((await ada.get("/subscriptions/s-1")).text)
    posted = await ada.post("/subscriptions/s-eve/cancellation/withdrawal", data=fields)
    assert posted.status_code == 404
    assert ada.upstream.commands == {}


async def test_signed_out_the_pages_send_to_sign_in(portal):
    for path in ("/subscriptions/s-1", "/subscriptions/s-1/change", "/subscriptions/s-1/amendments/am-1"):
        answer = await portal.get(path)
        assert answer.status_code == 303
        assert answer.headers["location"].startswith("/sign-in?next=/subscriptions/s-1")


async def test_a_form_without_the_csrf_token_is_refused(ada):
    fields = hidden_fields((await ada.get("/subscriptions/s-1")).text)
    answer = await ada.post(
        "/subscriptions/s-1/addons", data={**fields, "csrf_token": "forged", "addon": "render_farm"}
    )
    assert answer.status_code == 403
    assert ada.upstream.commands == {}


# -- quantity (R25, R29, R30) and tier (R12, R13, R37) ------------------------------------------


async def test_R25_R29_R30_an_increase_is_previewed_prorated_then_confirmed_once(ada):
    page = await ada.get("/subscriptions/s-1/change?quantity=1250&tier=standard")

    assert page.status_code == 200
    shown = text(page.text)
    # 50 × €365 × 183/365, the formula billing writes the line with (R29)
    assert "50 seats added, for 183 of 365 days left in the term" in shown
    assert "€9,150.00" in shown
    assert "charged now for the rest of the term" in shown  # annual (R30)
    form = hidden_fields(page.text)
    assert form["quantity"] == "1250" and form["from_quantity"] == "1200"

    first = await ada.post("/subscriptions/s-1/change", data=form)
    second = await ada.post("/subscriptions/s-1/change", data=form)  # a double click

    assert first.status_code == second.status_code == 303
    assert first.headers["location"] == "/subscriptions/s-1?added=50"
    calls = ada.fakes.calls("POST", "/subscriptions/s-1/seats/quantity")
    assert [c.headers["idempotency-key"] for c in calls] == [form["idempotency_key"] + ".quantity"] * 2
    assert [json.loads(c.content) for c in calls] == [{"quantity": 1250}] * 2
    assert ada.upstream.commands == {"/subscriptions/s-1/seats/quantity": 1}
    assert ada.fakes.calls("POST", "/subscriptions/s-1/amendments") == []
    assert "1,250 seats" in text((await ada.get("/subscriptions/s-1")).text)


def seats_line(delta: int, amount: int, invoice_id: str | None = None) -> dict[str, Any]:
    """A line as billing's `LineView` shows it."""
    return {
        "line_id": f"l-{delta}",
        "subscription_id": "s-1",
        "kind": "seats",
        "description": f"{delta} seats added for 183 of 365 days",
        "period_start": "2026-07-06T09:00:00Z",
        "period_end": "2027-01-05T09:00:00Z",
        "quantity_delta": delta,
        "unit_price": {"amount_minor": 36500, "currency": "EUR"},
        "days_remaining": 183,
        "days_in_term": 365,
        "amount": {"amount_minor": amount, "currency": "EUR"},
        "invoice_id": invoice_id,
    }


async def test_R29_after_an_increase_the_page_waits_for_billing_to_record_the_line(ada):
    form = hidden_fields((await ada.get("/subscriptions/s-1/change?quantity=1250&tier=standard")).text)
    done = await ada.post("/subscriptions/s-1/change", data=form)
    page = await ada.get(done.headers["location"])

    assert "50 seats added: in force now; billing is recording their charge…" in page.text
    assert 'hx-get="/subscriptions/s-1/change-status?added=50"' in page.text
    assert 'hx-trigger="every 2s"' in page.text
    assert '<a href="/subscriptions/s-1?added=50">Refresh</a>' in page.text  # without JavaScript
    polled = await ada.get("/subscriptions/s-1/change-status?added=50", headers={"HX-Request": "true"})
    assert polled.status_code == 200 and "billing is recording" in polled.text and "<html" not in polled.text

    ada.upstream.lines.append(seats_line(50, 915000))
    polled = await ada.get("/subscriptions/s-1/change-status?added=50", headers={"HX-Request": "true"})
    assert "The 50 seats added are on the invoice lines." in polled.text
    assert "hx-trigger" not in polled.text  # the polling stops
    page = await ada.get("/subscriptions/s-1")
    assert "Changes on the next invoice" in page.text and "€9,150.00" in page.text

    without_js = await ada.get("/subscriptions/s-1/change-status?added=50")
    assert without_js.status_code == 303 and without_js.headers["location"] == "/subscriptions/s-1?added=50"


async def test_R29_invoiced_lines_are_not_listed_as_pending(ada):
    ada.upstream.lines.append(seats_line(50, 915000, invoice_id="inv-1"))
    page = await ada.get("/subscriptions/s-1")
    assert "Changes on the next invoice" not in page.text


async def test_R30_a_monthly_increase_is_charged_on_the_first_of_next_month(ada):
    ada.fakes.subscriptions["s-1"].update(
        billing_cycle="monthly",
        unit_price={"amount_minor": 3300, "currency": "EUR"},
        term_start="2026-07-01T00:00:00Z",
        term_end="2026-08-01T00:00:00Z",
    )
    page = await ada.get("/subscriptions/s-1/change?quantity=1210&tier=standard")
    shown = text(page.text)
    # 10 × €33 × 26/31 = €276.77 (rounded once, half up)
    assert "10 seats added, for 26 of 31 days left in the term" in shown
    assert "€276.77" in shown
    assert "charged on the invoice of August 1, 2026" in shown


async def test_R25_a_decrease_waits_for_the_term_end_and_costs_nothing_now(ada):
    page = await ada.get("/subscriptions/s-1/change?quantity=1000&tier=standard")
    shown = text(page.text)
    assert "200 seats fewer from January 5, 2027, the end of the term" in shown
    assert "Until January 5, 2027 you keep the seats in force; from the next term you pay for 1,000 seats." in shown
    form = hidden_fields(page.text)
    assert (await ada.post("/subscriptions/s-1/change", data=form)).status_code == 303
    assert "Decreases to 1,000 seats on January 5, 2027" in text((await ada.get("/subscriptions/s-1")).text)


async def test_R25_a_refusal_of_seats_is_shown_with_the_choice_kept(ada):
    page = await ada.get("/subscriptions/s-1/change?quantity=2&tier=standard")
    answer = await ada.post("/subscriptions/s-1/change", data=hidden_fields(page.text))
    assert answer.status_code == 409
    assert "More seats are assigned than that" in answer.text
    assert 'value="2"' in answer.text  # what the person chose is still in the form


async def test_bad_quantities_are_refused_at_the_edge(ada):
    for quantity in ("", "0", "abc", "100001", "1200.5"):
        answer = await ada.get(f"/subscriptions/s-1/change?quantity={quantity}&tier=standard")
        assert answer.status_code == 422, quantity
        assert "Enter a whole number of seats, from 1 to 100,000." in answer.text
    same = await ada.get("/subscriptions/s-1/change?quantity=1200&tier=standard")
    assert same.status_code == 422 and "Change the tier, the quantity or both." in same.text
    tier = await ada.get("/subscriptions/s-1/change?quantity=1200&tier=gold")
    assert tier.status_code == 422 and "Choose a tier from the list." in tier.text
    assert ada.upstream.commands == {}


async def test_R12_R37_tier_and_quantity_together_preview_credit_charge_net_then_the_amendment(ada):
    page = await ada.get("/subscriptions/s-1/change?quantity=1250&tier=premium")

    assert page.status_code == 200
    shown = text(page.text)
    assert "1,200 seats" in shown and "Standard" in shown  # the current values
    # seats: 50 × €365 × 183/365; tier on the 1,250 seats: credit 1250 × €365 × 183/365,
    # charge 1250 × €730 × 183/365
    assert "€9,150.00" in shown
    assert "Credit for the unused Standard, 183 of 365 days" in shown and "-€228,750.00" in shown
    assert "Premium for the rest of the term, 1,250 seats" in shown and "€457,500.00" in shown
    assert "Net" in shown and "€237,900.00" in shown
    assert "New price per seat: €730.00" in shown
    form = hidden_fields(page.text)

    first = await ada.post("/subscriptions/s-1/change", data=form)
    second = await ada.post("/subscriptions/s-1/change", data=form)

    assert first.status_code == second.status_code == 303
    assert first.headers["location"] == "/subscriptions/s-1/amendments/am-1"
    assert ada.upstream.commands == {
        "/subscriptions/s-1/seats/quantity": 1,
        "/subscriptions/s-1/amendments": 1,
    }
    proposals = ada.fakes.calls("POST", "/subscriptions/s-1/amendments")
    assert json.loads(proposals[0].content) == {"tier": "premium"}
    assert proposals[0].headers["idempotency-key"] == form["idempotency_key"] + ".tier"


async def test_R12_the_amendment_page_of_the_email_is_read_and_accepted_once(ada):
    page = await ada.get("/subscriptions/s-1/change?quantity=1200&tier=premium_plus")
    await ada.post("/subscriptions/s-1/change", data=hidden_fields(page.text))

    amendment = await ada.get("/subscriptions/s-1/amendments/am-1")

    assert amendment.status_code == 200
    shown = text(amendment.text)
    assert "From Standard" in shown and "To Premium Plus" in shown and "€1,095.00" in shown
    assert "If you accept today" in shown and "-€219,600.00" in shown  # 1200 × €365 × 183/365
    form = hidden_fields(amendment.text)
    first = await ada.post("/subscriptions/s-1/amendments/am-1", data=form)
    second = await ada.post("/subscriptions/s-1/amendments/am-1", data=form)

    assert first.status_code == second.status_code == 303
    assert first.headers["location"] == "/subscriptions/s-1/amendments/am-1"
    assert ada.upstream.commands["/subscriptions/s-1/amendments/am-1/acceptance"] == 1
    accepted = await ada.get("/subscriptions/s-1/amendments/am-1")
    assert "The amendment is accepted" in accepted.text
    assert 'name="idempotency_key"' not in accepted.text


async def test_R12_an_amendment_no_longer_open_is_refused_on_its_page(ada):
    page = await ada.get("/subscriptions/s-1/change?quantity=1200&tier=premium")
    await ada.post("/subscriptions/s-1/change", data=hidden_fields(page.text))
    form = hidden_fields((await ada.get("/subscriptions/s-1/amendments/am-1")).text)
    ada.upstream.amendments["am-1"]["status"] = "superseded"  # a newer proposal meanwhile

    answer = await ada.post("/subscriptions/s-1/amendments/am-1", data=form)

    assert answer.status_code == 409
    assert "This amendment can no longer be accepted" in answer.text


async def test_R13_a_software_assurance_downgrade_is_refused_before_anything_is_sent(ada):
    ada.fakes.subscriptions["s-1"].update(product="printserver", tier="premium")
    page = await ada.get("/subscriptions/s-1/change?quantity=1200&tier=standard")
    assert page.status_code == 409
    assert "Software assurance can only be upgraded" in page.text
    assert "Confirm the change" not in page.text
    assert ada.upstream.commands == {}


# -- billing cycle (R16), purchase details (R18), add-ons (R20) ---------------------------------


async def test_R16_the_cycle_changes_from_the_next_renewal(ada):
    ada.fakes.subscriptions["s-1"].update(billing_cycle="monthly")
    form = hidden_fields((await ada.get("/subscriptions/s-1")).text)
    sent = {"csrf_token": form["csrf_token"], "idempotency_key": form["idempotency_key"], "billing_cycle": "annual"}
    keys = re.findall(r'name="idempotency_key" value="([^"]+)"', (await ada.get("/subscriptions/s-1")).text)
    assert len(set(keys)) == len(keys)  # one key per form

    answer = await ada.post("/subscriptions/s-1/billing-cycle", data=sent)

    assert answer.status_code == 303 and answer.headers["location"] == "/subscriptions/s-1"
    assert json.loads(ada.fakes.calls("POST", "/subscriptions/s-1/billing-cycle")[0].content) == {
        "billing_cycle": "annual"
    }
    assert "Billed annually from January 5, 2027" in text((await ada.get("/subscriptions/s-1")).text)


async def test_R16_annual_to_monthly_outside_the_last_month_is_explained(ada):
    form = hidden_fields((await ada.get("/subscriptions/s-1")).text)
    answer = await ada.post("/subscriptions/s-1/billing-cycle", data={**form, "billing_cycle": "monthly"})
    assert answer.status_code == 409
    assert "Annual to monthly is possible only in the last month of the annual term." in answer.text
    bad = await ada.post("/subscriptions/s-1/billing-cycle", data={**form, "billing_cycle": "weekly"})
    assert bad.status_code == 422 and "Choose monthly or annual." in bad.text


async def test_R18_po_number_and_payment_method_are_saved_and_a_refusal_keeps_what_was_typed(ada):
    form = hidden_fields((await ada.get("/subscriptions/s-1")).text)
    answer = await ada.post(
        "/subscriptions/s-1/purchase-details",
        data={**form, "po_number": " PO-2026-9 ", "payment_method": "Visa ending 4242"},
    )
    assert answer.status_code == 303
    call = ada.fakes.calls("PUT", "/subscriptions/s-1/purchase-details")[0]
    assert json.loads(call.content) == {"po_number": "PO-2026-9", "payment_method": "Visa ending 4242"}

    refused = await ada.post(
        "/subscriptions/s-1/purchase-details",
        data={**form, "idempotency_key": "k" * 32, "po_number": "PO-3", "payment_method": "4242424242424242"},
    )
    assert refused.status_code == 422
    assert "Never enter a card number" in refused.text
    assert 'value="PO-3"' in refused.text

    too_long = await ada.post("/subscriptions/s-1/purchase-details", data={**form, "po_number": "P" * 101})
    assert too_long.status_code == 422
    assert "at most 100 characters" in too_long.text and 'value="' + "P" * 101 + '"' in too_long.text
    assert len(ada.fakes.calls("PUT", "/subscriptions/s-1/purchase-details")) == 2


async def test_R20_an_add_on_is_ordered_once(ada):
    page = await ada.get("/subscriptions/s-1")
    assert "Render farm, 100 hours" in page.text
    form = hidden_fields(page.text)
    data = {**form, "addon": "render_farm"}
    assert (await ada.post("/subscriptions/s-1/addons", data=data)).status_code == 303
    assert (await ada.post("/subscriptions/s-1/addons", data=data)).status_code == 303
    assert ada.upstream.commands == {"/subscriptions/s-1/addons": 1}
    assert ada.fakes.subscriptions["s-1"]["addons"] == ["render_farm"]
    bad = await ada.post("/subscriptions/s-1/addons", data={**form, "addon": "../etc"})
    assert bad.status_code == 422 and "Choose an add-on from the list." in bad.text


async def test_R20_a_trial_offers_no_add_on(ada):
    ada.fakes.subscriptions["s-1"].update(status="trialing")
    page = await ada.get("/subscriptions/s-1")
    assert page.status_code == 200
    assert 'action="/subscriptions/s-1/addons"' not in page.text


# -- cancellation (R14, R49) -------------------------------------------------------------------


async def test_R14_R49_cancel_with_a_reason_from_the_list_a_review_of_the_end_date_then_confirm(ada):
    choose = await ada.get("/subscriptions/s-1/cancellation")
    assert choose.status_code == 200
    assert 'type="radio"' in choose.text and "Too expensive" in choose.text
    assert 'name="idempotency_key"' not in choose.text  # nothing to confirm yet

    review = await ada.get("/subscriptions/s-1/cancellation?reason=too_expensive&detail=Budget+cut")

    assert review.status_code == 200
    shown = text(review.text)
    assert "Ends on January 5, 2027" in shown
    assert "Too expensive: Budget cut" in shown
    assert ada.upstream.commands == {}  # the review changes nothing
    form = hidden_fields(review.text)
    first = await ada.post("/subscriptions/s-1/cancellation", data=form)
    second = await ada.post("/subscriptions/s-1/cancellation", data=form)

    assert first.status_code == second.status_code == 303
    assert ada.upstream.commands == {"/subscriptions/s-1/cancellation": 1}
    assert ada.fakes.subscriptions["s-1"]["_reason"] == "Too expensive: Budget cut"
    assert "Cancelled: ends on January 5, 2027" in text((await ada.get("/subscriptions/s-1")).text)


async def test_R49_a_reason_not_in_the_list_is_refused_and_what_was_typed_stays(ada):
    answer = await ada.get("/subscriptions/s-1/cancellation?reason=because&detail=Kept+text")
    assert answer.status_code == 422
    assert "Choose a reason from the list." in answer.text
    assert 'value="Kept text"' in answer.text
    long = await ada.get("/subscriptions/s-1/cancellation?reason=other&detail=" + "x" * 501)
    assert long.status_code == 422


async def test_R14_outside_the_window_the_refusal_is_shown_on_the_review(ada):
    ada.fakes.subscriptions["s-1"]["_window"] = "closed"
    form = hidden_fields((await ada.get("/subscriptions/s-1/cancellation?reason=not_used")).text)
    answer = await ada.post("/subscriptions/s-1/cancellation", data=form)
    assert answer.status_code == 409
    assert "only in the last month of its term" in answer.text
    assert "Ends on" in answer.text  # still the review


async def test_R14_a_scheduled_cancellation_is_withdrawn(ada):
    ada.fakes.subscriptions["s-1"]["cancels_at"] = "2027-01-05T09:00:00Z"
    page = await ada.get("/subscriptions/s-1")
    keys = re.findall(
        r'action="/subscriptions/s-1/cancellation/withdrawal">\s*<input type="hidden" name="csrf_token" '
        r'value="([^"]+)">\s*<input type="hidden" name="idempotency_key" value="([^"]+)">',
        page.text,
    )
    csrf, key = keys[0]
    data = {"csrf_token": csrf, "idempotency_key": key}
    assert (await ada.post("/subscriptions/s-1/cancellation/withdrawal", data=data)).status_code == 303
    assert (await ada.post("/subscriptions/s-1/cancellation/withdrawal", data=data)).status_code == 303
    assert ada.upstream.commands == {"/subscriptions/s-1/cancellation/withdrawal": 1}
    assert "Cancel the subscription" in (await ada.get("/subscriptions/s-1")).text


# -- transfer of administration (R17, R38) -----------------------------------------------------


async def test_R17_R38_transfer_to_a_registered_contact(ada):
    page = await ada.get("/subscriptions/s-1/administrator")
    assert page.status_code == 200
    assert "Bob Builder (bob@example.com)" in page.text
    assert "Cy Young (cy@example.com) · not registered yet" in page.text
    assert "ada@example.com" not in page.text.split("<main>")[1]  # not herself
    assert "You lose access to it at once" in page.text
    form = {**hidden_fields(page.text), "contact": "bob@example.com"}

    first = await ada.post("/subscriptions/s-1/administrator", data=form)
    second = await ada.post("/subscriptions/s-1/administrator", data=form)

    assert first.status_code == second.status_code == 303
    assert first.headers["location"] == "/subscriptions/s-1/administrator/transferred"
    assert ada.upstream.commands == {"/subscriptions/s-1/administrator": 1}
    assert json.loads(ada.fakes.calls("POST", "/subscriptions/s-1/administrator")[0].content) == {
        "email": "bob@example.com"
    }
    done = await ada.get(first.headers["location"])
    assert done.status_code == 200 and "You no longer have access to it." in done.text
    assert (await ada.get("/subscriptions/s-1")).status_code == 404  # R17: at once


async def test_R38_a_new_contact_is_added_in_the_same_step_and_must_register_first(ada):
    form = hidden_fields((await ada.get("/subscriptions/s-1/administrator")).text)
    data = {
        **form,
        "contact": "new",
        "email": "dan@example.com",
        "first_name": "Dan",
        "last_name": "Brown",
        "language": "fr",
    }

    answer = await ada.post("/subscriptions/s-1/administrator", data=data)

    assert answer.status_code == 409
    assert "This contact has not registered yet." in answer.text
    added = ada.fakes.calls("POST", "/accounts/a-1/contacts")
    assert json.loads(added[0].content) == {
        "email": "dan@example.com",
        "first_name": "Dan",
        "last_name": "Brown",
        "locale": "fr",
    }
    assert added[0].headers["idempotency-key"] == form["idempotency_key"] + ".contact"
    assert 'value="dan@example.com"' in answer.text  # kept
    assert "Dan Brown (dan@example.com) · not registered yet" in answer.text  # now in the list


async def test_R38_adding_a_contact_needs_the_company_administrator_and_says_so(ada):
    ada.upstream.company_administrator = False
    form = hidden_fields((await ada.get("/subscriptions/s-1/administrator")).text)
    data = {**form, "contact": "new", "email": "dan@example.com", "first_name": "Dan", "last_name": "Brown"}
    answer = await ada.post("/subscriptions/s-1/administrator", data=data)
    assert answer.status_code == 403
    assert "Only an administrator of your company can add a contact" in answer.text
    assert ada.fakes.calls("POST", "/subscriptions/s-1/administrator") == []


async def test_R38_a_new_contact_needs_its_details(ada):
    form = hidden_fields((await ada.get("/subscriptions/s-1/administrator")).text)
    for data in (
        {"contact": "new", "email": "not-an-address", "first_name": "Dan", "last_name": "Brown"},
        {"contact": "new", "email": "dan@example.com", "first_name": "", "last_name": "Brown"},
        {"contact": ""},
    ):
        answer = await ada.post("/subscriptions/s-1/administrator", data={**form, **data})
        assert answer.status_code == 422, data
    assert ada.upstream.commands == {}


# -- languages ---------------------------------------------------------------------------------


async def test_the_pages_render_in_french(ada):
    fields = hidden_fields((await ada.get("/subscriptions/s-1")).text)
    await ada.post("/language", data={"csrf_token": fields["csrf_token"], "locale": "fr", "next": "/subscriptions/s-1"})
    for path in (
        "/subscriptions/s-1",
        "/subscriptions/s-1/change?quantity=1250&tier=premium",
        "/subscriptions/s-1/cancellation?reason=other",
        "/subscriptions/s-1/administrator",
    ):
        page = await ada.get(path)
        assert page.status_code == 200, path
        assert '<html lang="fr">' in page.text
    change = await ada.get("/subscriptions/s-1/change?quantity=1250&tier=standard")
    assert re.search(r"9\W150,00\W€", change.text)  # money as a French reader writes it
