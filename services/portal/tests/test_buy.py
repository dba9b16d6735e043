"""Buy: the catalogue with what the company owns (R50, R9), checkout with review and
confirmation (R45, R11), a free trial (R10) and its conversion (R10, R11). The fake
subscriptions answers `GET /catalogue`, `POST /subscriptions`, `POST /subscriptions/trials`
and `POST /subscriptions/{id}/conversion` as the real service does."""

from __future__ import annotations

import html
import json
import re
import uuid
from typing import Any

import httpx
import pytest

from .conftest import ADA, EVE, problem, subscription
from .conftest import hidden_fields as raw_hidden_fields

PRICES = {
    "standard": {"monthly": 3300, "annual": 36500},
    "premium": {"monthly": 6500, "annual": 73000},
    "premium_plus": {"monthly": 9800, "annual": 109500},
}


def catalogue(owned: list[dict[str, Any]], trial_available: bool = True) -> dict[str, Any]:
    """As subscriptions' `GET /catalogue` answers with the packaged catalogue.toml."""
    tiers = [
        {"code": code, "rank": rank, "self_service": True, "prices": PRICES[code]}
        for rank, code in enumerate(("standard", "premium", "premium_plus"), start=1)
    ]
    return {
        "products": [
            {
                "code": "designer",
                "name": "Designer",
                "currency": "EUR",
                "licence_types": ["named_user", "floating", "node_locked"],
                "tier_changes": "any",
                "requires_approval": False,
                "term_discount_percent": 10,
                "tiers": [*tiers, {"code": "enterprise", "rank": 4, "self_service": False, "prices": None}],
                "addons": [
                    {
                        "code": "cloud_storage",
                        "name": "Cloud storage, 1 TB",
                        "prices": {"monthly": 1500, "annual": 16500},
                    },
                    {
                        "code": "render_farm",
                        "name": "Render farm, 100 hours",
                        "prices": {"monthly": 4000, "annual": 44000},
                    },
                ],
                "trial": {"tier": "premium", "days": 30, "fallback_tier": "standard", "available": trial_available},
                "owned": owned,
            },
            {
                "code": "printserver",
                "name": "Print Server with software assurance",
                "currency": "EUR",
                "licence_types": ["node_locked"],
                "tier_changes": "upgrade_only",
                "requires_approval": True,
                "term_discount_percent": 15,
                "tiers": tiers,
                "addons": [],
                "trial": None,
                "owned": [],
            },
        ]
    }


@pytest.fixture
def shop(portal):
    """subscriptions' buying routes over the conftest's subscriptions dict."""
    fakes = portal.fakes
    placed: list[dict[str, Any]] = []

    def owned(caller) -> list[dict[str, Any]]:
        return [
            {
                "subscription_id": s["id"] if s["administrator_id"] == caller.person_id else None,
                "administered_by_you": s["administrator_id"] == caller.person_id,
                "tier": s["tier"],
                "licence_type": s["licence_type"],
                "status": s["status"],
            }
            for s in fakes.subscriptions.values()
            if s["account_id"] == caller.account_id and s["status"] not in ("ended", "activation_expired", "rejected")
        ]

    @fakes.route("subscriptions", "GET", r"/catalogue")
    def read(request, caller, match):
        if caller is None:
            return problem(401, "unauthenticated", "Sign in.")
        trialled = any(s["account_id"] == caller.account_id and s.get("trialled") for s in fakes.subscriptions.values())
        return httpx.Response(200, json=catalogue(owned(caller), trial_available=not trialled))

    @fakes.route("subscriptions", "POST", r"/subscriptions")
    def purchase(request, caller, match):
        if caller is None:
            return problem(401, "unauthenticated", "Sign in.")
        body = json.loads(request.content)
        if body.get("billing_cycle") == "term" and body.get("term_ends_on", "") > "2031-01-05":
            return problem(422, "fixed_term_out_of_range", "A fixed term must end between ... (R11).")
        placed.append(body)
        sid = str(uuid.uuid4())
        fields = {k: body[k] for k in ("product", "tier", "licence_type", "billing_cycle", "quantity")}
        fakes.subscriptions[sid] = subscription(
            sid,
            caller,
            status="pending_activation",
            **fields,
            unit_price={"amount_minor": PRICES[body["tier"]]["annual"], "currency": "EUR"},
            po_number=body.get("po_number"),
            payment_method=body.get("payment_method"),
            term_start=None,
            term_end=None,
        )
        return httpx.Response(201, json={**fakes.subscriptions[sid], "event_ids": ["e-1"]})

    @fakes.route("subscriptions", "POST", r"/subscriptions/trials")
    def trial(request, caller, match):
        if caller is None:
            return problem(401, "unauthenticated", "Sign in.")
        body = json.loads(request.content)
        if any(s["account_id"] == caller.account_id and s.get("trialled") for s in fakes.subscriptions.values()):
            return problem(409, "trial_already_used", "This account already had a trial of designer; buy instead.")
        placed.append(body)
        sid = f"t-{len(fakes.subscriptions) + 1}"
        fakes.subscriptions[sid] = subscription(
            sid,
            caller,
            status="trialing",
            tier="premium",
            licence_type=body["licence_type"],
            trial_ends_at="2026-02-04T09:00:00Z",
            trialled=True,
        )
        return httpx.Response(201, json={**fakes.subscriptions[sid], "event_ids": ["e-1"]})

    @fakes.route("subscriptions", "POST", r"/subscriptions/([^/]+)/conversion")
    def convert(request, caller, match):
        found = fakes.subscriptions.get(match.group(1))
        if caller is None:
            return problem(401, "unauthenticated", "Sign in.")
        if found is None or found["administrator_id"] != caller.person_id:
            return problem(404, "subscription_not_found", "No such subscription.")
        if found["status"] != "trialing":
            return problem(409, "not_trialing", "The subscription is active; converting a trial needs it trialing.")
        body = json.loads(request.content)
        placed.append(body)
        found.update(status="active", quantity=body["quantity"], billing_cycle=body["billing_cycle"])
        return httpx.Response(200, json={**found, "event_ids": ["e-1"]})

    return placed


def hidden_fields(page: str) -> dict[str, str]:
    """The hidden fields as a browser sends them back: unescaped."""
    return {name: html.unescape(value) for name, value in raw_hidden_fields(page).items()}


BILLING = {
    "company_name": "Ada & Co",
    "contact_name": "Ada Lovelace",
    "billing_email": "billing@ada.example",
    "address": "12 rue de la Paix",
    "address_extra": "",
    "postal_code": "75002",
    "city": "Paris",
    "country": "FR",
    "vat_number": "FR40303265045",
}


def order_form(fields: dict[str, str], **changes: str) -> dict[str, str]:
    return {
        **fields,
        "licence_type": "floating",
        "quantity": "25",
        "billing_cycle": "annual",
        "term_ends_on": "",
        **BILLING,
        "po_number": "PO-2026-17",
        "payment_method": "sepa_direct_debit",
        "accept_terms": "yes",
        "step": "review",
        **changes,
    }


async def test_R50_R9_the_catalogue_compares_tiers_and_prices_per_cycle_and_marks_what_the_company_owns(portal, shop):
    portal.fakes.subscriptions["s-1"] = subscription("s-1", ADA, tier="premium")
    await portal.sign_in()

    page = await portal.get("/catalogue")

    assert page.status_code == 200, page.text
    assert "<h1>Buy</h1>" in page.text and "Designer: price of one seat per billing cycle" in page.text
    assert "€33.00" in page.text and "€365.00" in page.text and "€1,095.00" in page.text
    assert "Price on request" in page.text and "Sold by our sales team" in page.text  # R9: enterprise
    assert "Named user, Floating, Node-locked" in page.text
    assert "Terms longer than 12 months get 10% off." in page.text  # R11
    premium_row = re.search(r"<th scope=\"row\">Premium\s*</th>.*?</tr>", page.text, re.S)
    assert premium_row and "You own this" in premium_row.group(0)
    standard_row = re.search(r"<th scope=\"row\">Standard\s*</th>.*?</tr>", page.text, re.S)
    assert standard_row and "You own this" not in standard_row.group(0)
    assert 'href="/checkout?product=designer&amp;tier=standard"' in page.text
    assert "Buy Designer Premium Plus" in page.text
    assert "Ordered through a reseller" in page.text  # R19's product is not sold here
    assert "Cloud storage, 1 TB" in page.text
    assert "Start a free trial of Designer" in page.text


async def test_R50_the_catalogue_in_french_formats_prices_the_french_way(portal, shop):
    await portal.sign_in()
    fields = await portal.form_fields("/catalogue")
    await portal.post("/language", data={"csrf_token": fields["csrf_token"], "locale": "fr", "next": "/catalogue"})

    page = await portal.get("/catalogue")

    assert page.status_code == 200
    assert '<html lang="fr">' in page.text
    assert "365,00\xa0€" in page.text


async def test_R45_checkout_reviews_then_places_one_order_however_often_it_is_sent(portal, shop):
    await portal.sign_in()
    form = await portal.get("/checkout?product=designer&tier=premium&licence_type=floating")
    assert form.status_code == 200, form.text
    for label in (
        "Number of seats",
        "Billing cycle",
        "End of the fixed term",
        "Company name",
        "Billing contact",
        "Postal code",
        "Purchase-order number (optional)",
        "Payment method",
        "I accept the terms of sale.",
    ):
        assert label in form.text
    assert '<option value="floating" selected>' in form.text
    fields = hidden_fields(form.text)

    review = await portal.post("/checkout", data=order_form(fields))
    assert review.status_code == 200, review.text
    assert "<h1>Review your order</h1>" in review.text
    assert "Ada &amp; Co" in review.text and "PO-2026-17" in review.text and "SEPA direct debit" in review.text
    assert shop == []  # nothing is ordered by reviewing
    confirmed = hidden_fields(review.text)
    assert confirmed["idempotency_key"] == fields["idempotency_key"]

    first = await portal.post("/checkout", data={**confirmed, "step": "place"})
    second = await portal.post("/checkout", data={**confirmed, "step": "place"})  # a double click

    assert first.status_code == second.status_code == 303
    assert first.headers["location"] == second.headers["location"]
    calls = portal.fakes.calls("POST", "/subscriptions")
    assert [c.headers["idempotency-key"] for c in calls] == [fields["idempotency_key"]] * 2
    assert len(shop) == 1
    assert shop[0] == {
        "product": "designer",
        "tier": "premium",
        "licence_type": "floating",
        "billing_cycle": "annual",
        "quantity": 25,
        "po_number": "PO-2026-17",
        "payment_method": "sepa_direct_debit",
        "billing": {k: v for k, v in BILLING.items() if v},
        "accept_terms_of_sale": True,
    }

    confirmation = await portal.get(first.headers["location"])
    assert confirmation.status_code == 200
    [sid] = [s for s in portal.fakes.subscriptions]
    assert f"Your order number is {sid}." in confirmation.text
    assert f'href="/subscriptions/{sid}/agreement">Read and accept the agreement' in confirmation.text
    assert "April 5, 2026" in confirmation.text


async def test_R11_a_fixed_term_sends_its_end_date_and_a_refusal_keeps_what_was_typed(portal, shop):
    await portal.sign_in()
    fields = await portal.form_fields("/checkout?product=designer&tier=standard")
    review = await portal.post("/checkout", data=order_form(fields, billing_cycle="term", term_ends_on="2032-01-01"))
    assert "until January 1, 2032" in review.text

    refused = await portal.post("/checkout", data={**hidden_fields(review.text), "step": "place"})

    assert refused.status_code == 422
    assert "A fixed term ends between 30 days and 5 years from today: choose another date." in refused.text
    assert 'value="2032-01-01"' in refused.text and 'value="Ada &amp; Co"' in refused.text
    fixed = await portal.post(
        "/checkout",
        data={
            **hidden_fields(refused.text),
            **order_form({}, billing_cycle="term", term_ends_on="2027-06-30"),
            "step": "place",
        },
    )
    assert fixed.status_code == 303
    assert shop[-1]["billing_cycle"] == "term" and shop[-1]["term_ends_on"] == "2027-06-30"


async def test_R45_bad_input_shows_the_form_again_with_clear_messages_and_nothing_lost(portal, shop):
    await portal.sign_in()
    fields = await portal.form_fields("/checkout?product=designer&tier=standard")

    answer = await portal.post(
        "/checkout",
        data=order_form(
            fields,
            quantity="0",
            billing_cycle="term",
            company_name="x" * 201,
            city="Paris\r\nBcc: all@example.com",
            billing_email="not-an-address",
            accept_terms="",
        ),
    )

    assert answer.status_code == 422
    assert "Enter a whole number of seats from 1 to 100,000." in answer.text
    assert "Fill in this field." in answer.text  # the fixed term's end
    assert "This is too long." in answer.text and "Write this on one line." in answer.text
    assert "This is not an e-mail address." in answer.text
    assert "Accept the terms of sale to place the order." in answer.text
    assert 'value="PO-2026-17"' in answer.text and 'value="12 rue de la Paix"' in answer.text
    assert hidden_fields(answer.text)["idempotency_key"] == fields["idempotency_key"]
    assert portal.fakes.calls("POST", "/subscriptions") == []


async def test_the_review_step_can_go_back_to_the_form_with_everything_kept(portal, shop):
    await portal.sign_in()
    fields = await portal.form_fields("/checkout?product=designer&tier=standard")
    review = await portal.post("/checkout", data=order_form(fields))

    back = await portal.post("/checkout", data={**hidden_fields(review.text), "step": "edit"})

    assert back.status_code == 200 and "<h1>Checkout</h1>" in back.text
    assert 'value="Ada Lovelace"' in back.text and 'value="25"' in back.text
    assert shop == []


@pytest.mark.parametrize(
    "query", ["product=designer&tier=enterprise", "product=printserver&tier=standard", "product=nope&tier=standard"]
)
async def test_R9_what_cannot_be_bought_self_service_has_no_checkout(portal, shop, query):
    await portal.sign_in()
    assert (await portal.get(f"/checkout?{query}")).status_code == 404


async def test_R10_a_free_trial_starts_once_and_is_converted_into_a_purchase(portal, shop):
    await portal.sign_in()
    page = await portal.get("/catalogue")
    form = hidden_fields(page.text)
    assert form["product"] == "designer"

    first = await portal.post("/trials", data={**form, "licence_type": "named_user"})
    again = await portal.post("/trials", data={**form, "licence_type": "named_user"})  # a double click

    assert first.status_code == again.status_code == 303
    [sid] = list(portal.fakes.subscriptions)
    assert first.headers["location"] == f"/subscriptions/{sid}/conversion"
    assert shop == [{"product": "designer", "licence_type": "named_user"}]

    catalogue_now = await portal.get("/catalogue")
    assert "Your company already had its free trial of Designer." in catalogue_now.text
    assert f'href="/subscriptions/{sid}/conversion">Buy after the trial' in catalogue_now.text

    conversion = await portal.get(f"/subscriptions/{sid}/conversion")
    assert conversion.status_code == 200
    assert "Your free trial ends on February 4, 2026." in conversion.text
    fields = hidden_fields(conversion.text)
    body = {
        **fields,
        "quantity": "8",
        "billing_cycle": "monthly",
        "term_ends_on": "",
        "po_number": "",
        "accept_terms": "yes",
    }
    first = await portal.post(f"/subscriptions/{sid}/conversion", data=body)
    second = await portal.post(f"/subscriptions/{sid}/conversion", data=body)

    assert first.status_code == second.status_code == 303
    assert first.headers["location"] == f"/checkout/{sid}/confirmation"
    conversions = portal.fakes.calls("POST", f"/subscriptions/{sid}/conversion")
    assert [c.headers["idempotency-key"] for c in conversions] == [fields["idempotency_key"]] * 2
    assert shop[1:] == [{"billing_cycle": "monthly", "quantity": 8}]
    confirmation = await portal.get(first.headers["location"])
    assert "Your subscription is active." in confirmation.text


async def test_R10_a_second_trial_is_refused_on_the_catalogue_page(portal, shop):
    portal.fakes.subscriptions["t-old"] = subscription("t-old", ADA, status="ended", trialled=True)
    await portal.sign_in()
    form = hidden_fields((await portal.get("/catalogue")).text)
    # The page offered no trial; a form kept from before is refused by subscriptions.
    form = {**form, "product": "designer", "idempotency_key": "k" * 32}

    answer = await portal.post("/trials", data={**form, "licence_type": "floating"})

    assert answer.status_code == 409
    assert "Your company already had its free trial of this product" in answer.text


async def test_R10_converting_needs_the_terms_of_sale_and_a_running_trial(portal, shop):
    portal.fakes.subscriptions["t-1"] = subscription("t-1", ADA, status="trialing", tier="premium")
    portal.fakes.subscriptions["s-2"] = subscription("s-2", ADA, status="active")
    await portal.sign_in()
    fields = await portal.form_fields("/subscriptions/t-1/conversion")

    refused = await portal.post(
        "/subscriptions/t-1/conversion",
        data={**fields, "quantity": "3", "billing_cycle": "annual", "po_number": "PO-9"},
    )

    assert refused.status_code == 422 and "Accept the terms of sale to place the order." in refused.text
    assert 'value="PO-9"' in refused.text and shop == []
    active = await portal.get("/subscriptions/s-2/conversion")
    assert "This subscription is not a running trial." in active.text and "idempotency_key" not in active.text


async def test_another_company_s_subscription_gives_the_not_found_page(portal, shop):
    portal.fakes.subscriptions["t-eve"] = subscription("t-eve", EVE, status="trialing")
    await portal.sign_in(ADA)

    for path in ("/subscriptions/t-eve/conversion", "/checkout/t-eve/confirmation", "/checkout/%3Cx%3E/confirmation"):
        assert (await portal.get(path)).status_code == 404, path
    fields = await portal.form_fields("/catalogue")
    post = await portal.post(
        "/subscriptions/t-eve/conversion",
        data={
            "csrf_token": fields["csrf_token"],
            "idempotency_key": "k" * 32,
            "quantity": "1",
            "billing_cycle": "annual",
            "accept_terms": "yes",
        },
    )
    assert post.status_code == 404
    assert portal.fakes.subscriptions["t-eve"]["status"] == "trialing"


async def test_signed_out_the_buy_pages_go_to_sign_in(portal, shop):
    for path in ("/catalogue", "/checkout?product=designer&tier=standard", "/subscriptions/t-1/conversion"):
        answer = await portal.get(path)
        assert answer.status_code == 303, path
        assert answer.headers["location"].startswith("/sign-in?next=")


async def test_a_checkout_without_the_csrf_token_or_the_rendered_key_sends_nothing(portal, shop):
    await portal.sign_in()
    fields = await portal.form_fields("/checkout?product=designer&tier=standard")

    no_csrf = await portal.post(
        "/checkout", data=order_form({"idempotency_key": fields["idempotency_key"]}, step="place")
    )
    no_key = await portal.post("/checkout", data=order_form({"csrf_token": fields["csrf_token"]}, step="place"))

    assert no_csrf.status_code == 403 and no_key.status_code == 404
    assert portal.fakes.calls("POST", "/subscriptions") == []
