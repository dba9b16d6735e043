"""Buy: the catalogue (R50, R9), checkout with a review step and a confirmation (R45, R11),
a free trial (R10) and its conversion into a purchase (R10, R11).

Reads and commands all go to subscriptions:
- `GET /catalogue`: products, tiers, licence types, prices per cycle, add-ons, the trial
  offer, and what the company already owns (read by every page here, to show prices and to
  refuse at the edge what cannot be bought self-service);
- `POST /subscriptions` (checkout), `POST /subscriptions/trials` (a trial),
  `POST /subscriptions/{id}/conversion` (buy a running trial), each with the Idempotency-Key
  minted when the form was first rendered: the review step carries it on, so however often
  "Place the order" is sent, it is one order;
- `GET /subscriptions/{id}` for the confirmation and the conversion page (unknown and
  another company's alike: the not-found page).

The checkout asks for billing details and address and the acceptance of the terms of sale
(R45), sent as `billing` and `accept_terms_of_sale`; subscriptions records them with the order
(which version of the terms, when) and refuses an order without the acceptance."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date
from typing import Any

from fastapi import APIRouter
from fastapi.responses import Response
from starlette.datastructures import FormData

from portal.adapters.rendering import FIELD_PROBLEMS, N_
from portal.adapters.upstream import UpstreamProblem
from portal.api.deps import Browser, BrowserDep, PageNotFound, new_key, valid_id
from portal.api.forms import fits, idempotency_key, shown, valid_email
from portal.api.names import catalogue_names

router = APIRouter(tags=["pages"], include_in_schema=False)

CYCLES = ("monthly", "annual", "term")
PAYMENT_METHODS = {
    "bank_transfer": N_("Bank transfer on invoice"),
    "sepa_direct_debit": N_("SEPA direct debit"),
    "card": N_("Credit card"),
}
TIER_NAMES = {
    "standard": N_("Standard"),
    "premium": N_("Premium"),
    "premium_plus": N_("Premium Plus"),
    "enterprise": N_("Enterprise"),
}
CYCLE_NAMES = {"monthly": N_("Monthly"), "annual": N_("Annual"), "term": N_("Fixed term")}
MAX_QUANTITY = 100_000  # subscriptions' limit for one order

# The billing details (R45): name → (required, longest accepted).
BILLING_FIELDS: dict[str, tuple[bool, int]] = {
    "company_name": (True, 200),
    "contact_name": (True, 200),
    "billing_email": (True, 254),
    "address": (True, 200),
    "address_extra": (False, 200),
    "postal_code": (True, 20),
    "city": (True, 100),
    "country": (True, 100),
    "vat_number": (False, 32),
}


@dataclass
class OrderForm:
    """What the person typed, kept as typed so that a refused form loses nothing."""

    values: dict[str, str]
    errors: dict[str, str] = field(default_factory=dict)

    def text(self, name: str, required: bool, longest: int) -> str:
        value = self.values.get(name, "").strip()
        self.values[name] = value
        if not value:
            if required:
                self.errors[name] = FIELD_PROBLEMS["required"]
        elif len(value) > longest:
            self.errors[name] = FIELD_PROBLEMS["too_long"]
        elif not fits(value, longest):
            self.errors[name] = FIELD_PROBLEMS["one_line"]
        return value

    def choice(self, name: str, options: Any) -> str:
        value = self.values.get(name, "")
        if value not in options:
            self.errors[name] = FIELD_PROBLEMS["choice"]
        return value

    def terms(self) -> None:
        """The cycle (R11): monthly or annual, or a fixed term with its end date."""
        self.choice("billing_cycle", CYCLES)
        quantity = self.values.get("quantity", "").strip()
        self.values["quantity"] = quantity
        if not quantity.isdigit() or not 1 <= int(quantity) <= MAX_QUANTITY:
            self.errors["quantity"] = FIELD_PROBLEMS["quantity"]
        ends_on = self.values.get("term_ends_on", "").strip()
        self.values["term_ends_on"] = ends_on
        if self.values.get("billing_cycle") == "term":
            if not ends_on:
                self.errors["term_ends_on"] = FIELD_PROBLEMS["required"]
            else:
                try:
                    date.fromisoformat(ends_on)
                except ValueError:
                    self.errors["term_ends_on"] = FIELD_PROBLEMS["date"]
        self.text("po_number", False, 100)

    def accepted_terms_of_sale(self) -> None:
        if self.values.get("accept_terms") != "yes":
            self.errors["accept_terms"] = FIELD_PROBLEMS["terms"]

    def term_body(self) -> dict[str, Any]:
        body: dict[str, Any] = {
            "billing_cycle": self.values["billing_cycle"],
            "quantity": int(self.values["quantity"]),
        }
        if self.values["billing_cycle"] == "term":
            body["term_ends_on"] = self.values["term_ends_on"]
        if self.values.get("po_number"):
            body["po_number"] = self.values["po_number"]
        return body


ORDER_FIELDS = (
    "licence_type",
    "quantity",
    "billing_cycle",
    "term_ends_on",
    *BILLING_FIELDS,
    "po_number",
    "payment_method",
    "accept_terms",
)


def _typed(form: FormData, names: tuple[str, ...]) -> dict[str, str]:
    # Only the fields of the form, each cut at a length no honest field reaches, so a
    # huge post is not echoed back whole.
    return {name: str(form.get(name, ""))[:1000] for name in names}


# -- the catalogue (R50) ------------------------------------------------------------------------


async def _catalogue(browser: Browser) -> list[dict[str, Any]]:
    answer = await browser.upstream.subscriptions.get("/catalogue", browser.token)
    products: list[dict[str, Any]] = answer.body["products"]
    return products


def _product(products: list[dict[str, Any]], code: str) -> dict[str, Any]:
    for product in products:
        if product["code"] == code:
            return product
    raise PageNotFound()


def _buyable_tier(product: dict[str, Any], code: str) -> dict[str, Any]:
    """A tier the person may buy here: self-service (R9), of a product not sold through a
    reseller project (R19). Anything else is not a page of this portal."""
    if product["requires_approval"]:
        raise PageNotFound()
    for tier in product["tiers"]:
        if tier["code"] == code and tier["self_service"]:
            return tier
    raise PageNotFound()


@router.get("/catalogue")
async def catalogue_page(browser: BrowserDep) -> Response:
    return await _render_catalogue(browser)


async def _render_catalogue(
    browser: Browser,
    problem: UpstreamProblem | None = None,
    status_code: int = 200,
    trial_values: dict[str, str] | None = None,
) -> Response:
    products = await _catalogue(browser)
    return await _page(
        browser,
        "buy/catalogue.html",
        status_code=status_code,
        products=products,
        keys={p["code"]: new_key() for p in products},
        problem=problem,
        trial_values=trial_values or {},
    )


@router.post("/trials")
async def start_trial(browser: BrowserDep) -> Response:
    """R10: a free trial of the product's trial tier, once per company and product."""
    form = await browser.form()
    token = browser.token
    key = idempotency_key(form)
    typed = _typed(form, ("product", "licence_type"))
    products = await _catalogue(browser)
    product = _product(products, typed["product"])
    if product["trial"] is None or typed["licence_type"] not in product["licence_types"]:
        problem = UpstreamProblem("portal", 422, "invalid_request", "")
        return await _render_catalogue(browser, problem, 422, typed)
    try:
        answer = await browser.upstream.subscriptions.command(
            "POST",
            "/subscriptions/trials",
            token,
            key,
            {"product": product["code"], "licence_type": typed["licence_type"]},
        )
    except UpstreamProblem as problem:
        if not shown(problem):
            raise
        return await _render_catalogue(browser, problem, problem.status, typed)
    return browser.redirect(f"/subscriptions/{answer.body['id']}/conversion")


# -- checkout (R45, R11) ------------------------------------------------------------------------


@router.get("/checkout")
async def checkout_page(browser: BrowserDep, product: str = "", tier: str = "", licence_type: str = "") -> Response:
    offer = _product(await _catalogue(browser), product)
    chosen = _buyable_tier(offer, tier)
    values = {name: "" for name in ORDER_FIELDS}
    values.update(
        licence_type=licence_type if licence_type in offer["licence_types"] else offer["licence_types"][0],
        quantity="1",
        billing_cycle="annual",
        payment_method="bank_transfer",
    )
    return await _render_checkout(browser, offer, chosen, values, new_key())


@router.post("/checkout")
async def checkout(browser: BrowserDep) -> Response:
    """One form in three steps: "review" checks what was typed and shows it back; "edit"
    returns to the form; "place" sends the order with the key of the first rendering."""
    form = await browser.form()
    token = browser.token
    key = idempotency_key(form)
    offer = _product(await _catalogue(browser), str(form.get("product", "")))
    chosen = _buyable_tier(offer, str(form.get("tier", "")))
    order = OrderForm(_typed(form, ORDER_FIELDS))
    order.choice("licence_type", offer["licence_types"])
    order.terms()
    for name, (required, longest) in BILLING_FIELDS.items():
        order.text(name, required, longest)
    email = order.values["billing_email"]
    if email and "billing_email" not in order.errors and not valid_email(email):
        order.errors["billing_email"] = FIELD_PROBLEMS["email"]
    order.choice("payment_method", PAYMENT_METHODS)
    order.accepted_terms_of_sale()

    step = str(form.get("step", "review"))
    if order.errors:
        return await _render_checkout(browser, offer, chosen, order.values, key, errors=order.errors, status_code=422)
    if step == "edit":
        return await _render_checkout(browser, offer, chosen, order.values, key)
    if step != "place":
        return await _page(
            browser,
            "buy/review.html",
            product=offer,
            tier=chosen,
            values=order.values,
            key=key,
            payment_methods=PAYMENT_METHODS,
        )
    body = {
        "product": offer["code"],
        "tier": chosen["code"],
        "licence_type": order.values["licence_type"],
        **order.term_body(),
        "payment_method": order.values["payment_method"],
        "billing": {name: order.values[name] for name in BILLING_FIELDS if order.values[name]},
        "accept_terms_of_sale": True,
    }
    try:
        answer = await browser.upstream.subscriptions.command("POST", "/subscriptions", token, key, body)
    except UpstreamProblem as problem:
        if not shown(problem):
            raise
        return await _render_checkout(
            browser, offer, chosen, order.values, key, problem=problem, status_code=problem.status
        )
    return browser.redirect(f"/checkout/{answer.body['id']}/confirmation")


async def _render_checkout(
    browser: Browser,
    product: dict[str, Any],
    tier: dict[str, Any],
    values: dict[str, str],
    key: str,
    errors: dict[str, str] | None = None,
    problem: UpstreamProblem | None = None,
    status_code: int = 200,
) -> Response:
    return await _page(
        browser,
        "buy/checkout.html",
        status_code=status_code,
        product=product,
        tier=tier,
        values=values,
        key=key,
        errors=errors or {},
        problem=problem,
        payment_methods=PAYMENT_METHODS,
        today=browser.now().date(),
    )


@router.get("/checkout/{subscription_id}/confirmation")
async def confirmation(subscription_id: str, browser: BrowserDep) -> Response:
    """R45: the order placed, and what comes next (the agreement to accept, R7)."""
    subscription_id = valid_id(subscription_id)
    found = (await browser.upstream.subscriptions.get(f"/subscriptions/{subscription_id}", browser.token)).body
    return await _page(browser, "buy/confirmation.html", s=found, names=await catalogue_names(browser))


# -- converting a trial (R10, R11) --------------------------------------------------------------


@router.get("/subscriptions/{subscription_id}/conversion")
async def conversion_page(subscription_id: str, browser: BrowserDep) -> Response:
    values = {"quantity": "1", "billing_cycle": "annual", "term_ends_on": "", "po_number": "", "accept_terms": ""}
    return await _render_conversion(browser, valid_id(subscription_id), values, new_key())


@router.post("/subscriptions/{subscription_id}/conversion")
async def convert(subscription_id: str, browser: BrowserDep) -> Response:
    """R10: buy the trial's tier; the paid term starts at once (converting accepts the
    agreement), so the confirmation says it is active."""
    subscription_id = valid_id(subscription_id)
    form = await browser.form()
    token = browser.token
    key = idempotency_key(form)
    order = OrderForm(_typed(form, ("quantity", "billing_cycle", "term_ends_on", "po_number", "accept_terms")))
    order.terms()
    order.accepted_terms_of_sale()
    if order.errors:
        return await _render_conversion(
            browser, subscription_id, order.values, key, errors=order.errors, status_code=422
        )
    try:
        await browser.upstream.subscriptions.command(
            "POST", f"/subscriptions/{subscription_id}/conversion", token, key, order.term_body()
        )
    except UpstreamProblem as problem:
        if not shown(problem):
            raise
        return await _render_conversion(
            browser, subscription_id, order.values, key, problem=problem, status_code=problem.status
        )
    return browser.redirect(f"/checkout/{subscription_id}/confirmation")


async def _render_conversion(
    browser: Browser,
    subscription_id: str,
    values: dict[str, str],
    key: str,
    errors: dict[str, str] | None = None,
    problem: UpstreamProblem | None = None,
    status_code: int = 200,
) -> Response:
    token = browser.token
    found = (await browser.upstream.subscriptions.get(f"/subscriptions/{subscription_id}", token)).body
    product = _product(await _catalogue(browser), found["product"])
    tier = next((t for t in product["tiers"] if t["code"] == found["tier"]), None)
    return await _page(
        browser,
        "buy/conversion.html",
        status_code=status_code,
        s=found,
        product=product,
        tier=tier,
        values=values,
        key=key,
        errors=errors or {},
        problem=problem,
        today=browser.now().date(),
    )


async def _page(browser: Browser, template: str, status_code: int = 200, **context: Any) -> Response:
    """Every page here knows the payment methods and the names of tiers and cycles."""
    context.setdefault("payment_methods", PAYMENT_METHODS)
    context.setdefault("problem", None)
    return await browser.render(
        template,
        status_code=status_code,
        tier_names=TIER_NAMES,
        cycle_names=CYCLE_NAMES,
        **context,
    )
