"""Manage a subscription ("Gérer l'abonnement"): what is in force and scheduled (R35), the
quantity with its price before confirming (R25, R29, R30), tier and quantity together (R37),
the tier change and the amendment to accept (R12, R13), the billing cycle (R16), cancellation
with a reason from a list and a review of its end date, and its withdrawal (R14, R49), the
transfer of administration to a contact of the company, added in the same step if needed
(R17, R38), the purchase-order number and payment method (R18), add-ons (R20).

Reads: subscriptions `GET /subscriptions/{id}`, `GET .../tier-change-preview`,
`GET .../amendments/{aid}`; seats `GET /subscriptions/{id}/seats` (the quantity in force, a
scheduled decrease, and access suspended for an overdue invoice: issue 15); identity
`GET /accounts/{account_id}/contacts`.
Commands (each with the Idempotency-Key its form was rendered with): seats
`POST .../seats/quantity`; subscriptions `POST .../amendments`, `POST .../amendments/{aid}/acceptance`,
`POST .../billing-cycle`, `POST .../cancellation`, `POST .../cancellation/withdrawal`,
`POST .../administrator`, `PUT .../purchase-details`, `POST .../addons`; identity
`POST /accounts/{account_id}/contacts`.

The quantity preview is computed here with `contracts.proration`, the formula billing writes
the invoice line with, so the preview equals the line (seats and billing offer no quote)."""

from __future__ import annotations

import asyncio
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

from fastapi import APIRouter
from fastapi.responses import Response
from starlette.datastructures import FormData

from contracts.proration import days_between, prorated_amount
from portal.adapters.rendering import N_
from portal.adapters.upstream import UpstreamProblem
from portal.api import forms
from portal.api.buy import PAYMENT_METHODS
from portal.api.deps import Browser, BrowserDep, new_key, valid_id
from portal.api.forms import fits, idempotency_key, refusal, shown
from portal.api.names import Names, render_named
from portal.api.suspension import payment_overdue

router = APIRouter(tags=["pages"], include_in_schema=False)

MAX_QUANTITY = 100_000  # seats' and subscriptions' bound
POLL_SECONDS = 2
LINE_PAGES = 10  # billing's lines of one subscription, 100 a page
# The catalogue's add-on names are English; these are translated where shown (`_(name)`).
ADDON_NAMES = (N_("Cloud storage, 1 TB"), N_("Render farm, 100 hours"))
CYCLES = ("monthly", "annual")
OVER = ("ended", "activation_expired", "rejected")

# R49: the reasons offered; the one chosen goes upstream in English (it reaches reports).
REASONS = {
    "too_expensive": N_("Too expensive"),
    "not_used": N_("We no longer use it"),
    "other_product": N_("We are moving to another product"),
    "missing_features": N_("Features we need are missing"),
    "project_ended": N_("The project it was bought for has ended"),
    "other": N_("Another reason"),
}
MAX_DETAIL = 500
MAX_NAME = 100
MAX_PO = 100
MAX_PAYMENT = 200


class Invalid(Exception):
    """What the person typed does not pass the edge's checks: the page again, with `code`."""

    def __init__(self, code: str) -> None:
        super().__init__(code)
        self.code = code


# -- reading ---------------------------------------------------------------------------------


async def _subscription(browser: Browser, sid: str) -> dict[str, Any]:
    found: dict[str, Any] = (await browser.upstream.subscriptions.get(f"/subscriptions/{sid}", browser.token)).body
    return found


async def _pool(browser: Browser, sid: str) -> dict[str, Any] | None:
    """Seats' pool: the quantity in force and a decrease waiting for the term end (R25). The
    page does without it when seats is not answering or has not heard of the subscription."""
    try:
        pool: dict[str, Any] = (await browser.upstream.seats.get(f"/subscriptions/{sid}/seats", browser.token)).body
    except UpstreamProblem as problem:
        if problem.unauthenticated:
            raise
        return None
    return pool


@dataclass(frozen=True)
class Offer:
    """What subscriptions' catalogue sells of the subscription's product: its self-service
    tiers in rank order (R9, R13) and its add-ons by code (R20)."""

    tiers: tuple[str, ...]
    addons: dict[str, str]
    names: Names = field(default_factory=Names)  # the product's name, for the page (`portal.api.names`)


async def _offer(browser: Browser, product: str) -> Offer:
    """From subscriptions' `GET /catalogue`; a product it no longer lists offers nothing to change."""
    products = (await browser.upstream.subscriptions.get("/catalogue", browser.token)).body["products"]
    found = next((p for p in products if p["code"] == product), None)
    if found is None:
        return Offer((), {})
    tiers = sorted((t for t in found["tiers"] if t["self_service"]), key=lambda t: t["rank"])
    addons = {a["code"]: a["name"] for a in found["addons"]}
    return Offer(tuple(t["code"] for t in tiers), addons, Names({product: found["name"]}))


def _when(value: str | None) -> datetime | None:
    if not value:
        return None
    found = datetime.fromisoformat(value)
    return found if found.tzinfo else found.replace(tzinfo=UTC)


def _quantity_in_force(s: dict[str, Any], pool: dict[str, Any] | None) -> int:
    # Seats owns the quantity (R25); subscriptions learns it from seats' event a moment later.
    if pool and isinstance(pool.get("quantity"), int):
        return int(pool["quantity"])
    return int(s["quantity"])


def _first_of_next_month(at: datetime) -> datetime:
    return datetime(at.year + (at.month == 12), at.month % 12 + 1, 1, tzinfo=UTC)


def quantity_effect(s: dict[str, Any], current: int, wanted: int, now: datetime) -> dict[str, Any]:
    """R25, R29, R30: what changing `current` seats to `wanted` does and costs.

    An increase is in force at once and charged for the days left in the term (billed at once
    for an annual or fixed term, on the 1st of next month for a monthly one); a decrease waits
    for the term end and costs nothing now."""
    delta = wanted - current
    unit = s["unit_price"]
    term_start, term_end = _when(s.get("term_start")), _when(s.get("term_end"))
    effect: dict[str, Any] = {"from": current, "to": wanted, "delta": delta, "currency": unit["currency"]}
    if delta < 0 or term_start is None or term_end is None:
        effect.update(amount=0, effective=term_end, at_once=False, days_remaining=0, days_in_term=0)
        return effect
    days_in_term = days_between(term_start, term_end)
    days_remaining = min(days_between(now, term_end), days_in_term)
    effect.update(
        amount=prorated_amount(delta, unit["amount_minor"], days_remaining, days_in_term),
        effective=now,
        at_once=True,
        days_remaining=days_remaining,
        days_in_term=days_in_term,
        invoiced=_first_of_next_month(now) if s["billing_cycle"] == "monthly" else now,
        monthly=s["billing_cycle"] == "monthly",
    )
    return effect


def tier_effect(s: dict[str, Any], quote: dict[str, Any], quantity: int) -> dict[str, Any]:
    """R12, R37: subscriptions' quote, for `quantity` seats: the tier change is accepted after
    an increase is in force, so both prices apply to the new quantity; the formula is the quote's."""
    remaining, in_term = int(quote["days_remaining"]), int(quote["days_in_term"])
    credit = -prorated_amount(quantity, s["unit_price"]["amount_minor"], remaining, in_term)
    charge = prorated_amount(quantity, quote["new_unit_price"]["amount_minor"], remaining, in_term)
    if quantity == quote["quantity"]:
        credit, charge = quote["credit"]["amount_minor"], quote["charge"]["amount_minor"]
    return {
        "from": quote["from_tier"],
        "to": quote["to_tier"],
        "quantity": quantity,
        "days_remaining": remaining,
        "days_in_term": in_term,
        "credit": credit,
        "charge": charge,
        "net": credit + charge,
        "new_unit_price": quote["new_unit_price"],
        "currency": quote["new_unit_price"]["currency"],
    }


# -- the edge's checks -------------------------------------------------------------------------


def _text(form: FormData | dict[str, Any], name: str, limit: int, code: str) -> str:
    value = str(form.get(name) or "").strip()
    if not fits(value, limit):
        raise Invalid(code)
    return value


def _quantity(value: Any) -> int:
    text = str(value or "").strip().replace(" ", "").replace("\u202f", "").replace("\xa0", "")
    if not text.isdigit() or len(text) > 6 or not 1 <= int(text) <= MAX_QUANTITY:
        raise Invalid("quantity_invalid")
    return int(text)


def _tier(value: Any, tiers: tuple[str, ...]) -> str:
    if value not in tiers:
        raise Invalid("tier_invalid")
    return str(value)


def _reason(form: FormData | dict[str, Any]) -> tuple[str, str]:
    reason = str(form.get("reason") or "")
    if reason not in REASONS:
        raise Invalid("reason_invalid")
    return reason, _text(form, "detail", MAX_DETAIL, "detail_too_long")


def _reason_line(reason: str, detail: str) -> str:
    return f"{REASONS[reason]}: {detail}" if detail else REASONS[reason]


# -- the subscription --------------------------------------------------------------------------


@router.get("/subscriptions/{subscription_id}")
async def manage_page(subscription_id: str, browser: BrowserDep, added: str | None = None) -> Response:
    """`added`: seats just added, whose invoice line the page waits for (R29)."""
    return await _manage(browser, valid_id(subscription_id), added=_added(added))


async def _manage(
    browser: Browser,
    sid: str,
    problem: UpstreamProblem | None = None,
    status_code: int = 200,
    typed: dict[str, str] | None = None,
    added: int | None = None,
) -> Response:
    s = await _subscription(browser, sid)
    pool, lines, offer = await asyncio.gather(
        _pool(browser, sid), _invoice_lines(browser, sid), _offer(browser, s["product"])
    )
    return await render_named(
        browser,
        "manage/subscription.html",
        status_code=status_code,
        s=s,
        payment_methods=PAYMENT_METHODS,
        names=offer.names,
        pool=pool,
        quantity=_quantity_in_force(s, pool),
        scheduled_quantity=(pool or {}).get("scheduled_quantity"),
        overdue=payment_overdue(pool, s, browser.signed_in().person_id),
        problem=problem,
        typed=typed or {},
        keys={name: new_key() for name in ("cycle", "withdrawal", "purchase", "addon")},
        tiers=offer.tiers,
        cycles=CYCLES,
        addons={code: label for code, label in offer.addons.items() if code not in s["addons"]},
        addon_names=offer.addons,
        over=s["status"] in OVER,
        **_billing_context(browser, sid, lines, added),
    )


# -- the change reaching the invoice (R29), shown honestly --------------------------------------


def _added(value: str | None) -> int | None:
    if value is None or not value.isdigit() or len(value) > 6 or not 1 <= int(value) <= MAX_QUANTITY:
        return None
    return int(value)


async def _invoice_lines(browser: Browser, sid: str) -> list[dict[str, Any]] | None:
    """Billing's prorated lines of the subscription; None when billing does not answer (the
    page does without them)."""
    try:
        found: list[dict[str, Any]] = await browser.upstream.billing.get_all(
            f"/subscriptions/{sid}/invoice-lines", browser.token, limit=100, items="lines", max_pages=LINE_PAGES
        )
    except UpstreamProblem as problem:
        if problem.unauthenticated:
            raise
        return None
    return found


def _billing_context(
    browser: Browser, sid: str, lines: list[dict[str, Any]] | None, added: int | None
) -> dict[str, Any]:
    pending = [line for line in lines or [] if line.get("invoice_id") is None]
    today = browser.now().date()
    arrived = added is not None and any(
        line["kind"] == "seats"
        and line["quantity_delta"] == added
        and datetime.fromisoformat(line["period_start"]).date() == today
        for line in lines or []
    )
    total = sum(line["amount"]["amount_minor"] for line in pending)
    currency = pending[0]["amount"]["currency"] if pending else None
    return {
        "lines": None if lines is None else pending,
        "lines_total": total,
        "lines_currency": currency,
        "added": added,
        "arrived": arrived,
        "subscription_id": sid,
        "poll_seconds": POLL_SECONDS,
    }


@router.get("/subscriptions/{subscription_id}/change-status")
async def change_status(subscription_id: str, browser: BrowserDep, added: str | None = None) -> Response:
    """Whether the seats added have reached billing: a partial htmx polls, or the
    subscription page without JS."""
    sid, count = valid_id(subscription_id), _added(added)
    if browser.request.headers.get("hx-request") != "true" or count is None:
        return browser.redirect(f"/subscriptions/{sid}" + (f"?added={count}" if count else ""))
    browser.signed_in()
    lines = await _invoice_lines(browser, sid)
    return browser.fragment("manage/_change_status.html", **_billing_context(browser, sid, lines, count))


# -- quantity and tier (R12, R13, R25, R29, R30, R37) ------------------------------------------


@router.get("/subscriptions/{subscription_id}/change")
async def change_page(
    subscription_id: str, browser: BrowserDep, quantity: str | None = None, tier: str | None = None
) -> Response:
    """Without a choice: the form (current values). With one: the preview to confirm."""
    sid = valid_id(subscription_id)
    if quantity is None and tier is None:
        return await _change(browser, sid)
    return await _change(browser, sid, {"quantity": quantity or "", "tier": tier or ""}, preview=True)


async def _change(
    browser: Browser,
    sid: str,
    typed: dict[str, str] | None = None,
    preview: bool = False,
    problem: UpstreamProblem | None = None,
    status_code: int = 200,
) -> Response:
    s = await _subscription(browser, sid)
    pool, offer = await asyncio.gather(_pool(browser, sid), _offer(browser, s["product"]))
    current = _quantity_in_force(s, pool)
    typed = typed or {"quantity": str(current), "tier": s["tier"]}
    context: dict[str, Any] = {"seats": None, "tier": None, "net": 0}
    if preview and problem is None:
        try:
            wanted, to_tier = _quantity(typed["quantity"]), _tier(typed["tier"], offer.tiers)
            if wanted == current and to_tier == s["tier"]:
                raise Invalid("nothing_changes")
            context = await _preview(browser, s, current, wanted, to_tier)
        except Invalid as invalid:
            problem, status_code = refusal(invalid.code), 422
        except UpstreamProblem as refused:
            if not shown(refused):
                raise
            problem, status_code = refused, refused.status
    return await render_named(
        browser,
        "manage/change.html",
        status_code=status_code,
        s=s,
        names=offer.names,
        quantity=current,
        scheduled_quantity=(pool or {}).get("scheduled_quantity"),
        typed=typed,
        preview=preview and problem is None,
        problem=problem,
        tiers=offer.tiers,
        key=new_key(),
        **context,
    )


async def _preview(browser: Browser, s: dict[str, Any], current: int, wanted: int, to_tier: str) -> dict[str, Any]:
    seats = quantity_effect(s, current, wanted, browser.now()) if wanted != current else None
    tier = None
    if to_tier != s["tier"]:
        quote = (
            await browser.upstream.subscriptions.get(
                f"/subscriptions/{s['id']}/tier-change-preview", browser.token, {"tier": to_tier}
            )
        ).body
        # A decrease waits for the term end: the tier change applies to the seats in force now.
        tier = tier_effect(s, quote, max(wanted, current))
    net = (seats["amount"] if seats else 0) + (tier["net"] if tier else 0)
    return {"seats": seats, "tier": tier, "net": net}


@router.post("/subscriptions/{subscription_id}/change")
async def change(subscription_id: str, browser: BrowserDep) -> Response:
    """The confirmed change: the quantity to seats, the tier as an amendment to accept (R12),
    each with a key derived from the form's (one command each, however often it is sent)."""
    sid = valid_id(subscription_id)
    form = await browser.form()
    token = browser.token
    key = idempotency_key(form)
    typed = {"quantity": str(form.get("quantity", "")), "tier": str(form.get("tier", ""))}
    offer = await _offer(browser, (await _subscription(browser, sid))["product"])
    try:
        wanted, to_tier = _quantity(typed["quantity"]), _tier(typed["tier"], offer.tiers)
        from_quantity, from_tier = _quantity(form.get("from_quantity")), str(form.get("from_tier", ""))
    except Invalid as invalid:
        return await _change(browser, sid, typed, problem=refusal(invalid.code), status_code=422)
    try:
        if wanted != from_quantity:
            await browser.upstream.seats.command(
                "POST", f"/subscriptions/{sid}/seats/quantity", token, f"{key}.quantity", {"quantity": wanted}
            )
        if to_tier != from_tier:
            amendment = (
                await browser.upstream.subscriptions.command(
                    "POST", f"/subscriptions/{sid}/amendments", token, f"{key}.tier", {"tier": to_tier}
                )
            ).body
            return browser.redirect(f"/subscriptions/{sid}/amendments/{amendment['id']}")
    except UpstreamProblem as problem:
        if not shown(problem):
            raise
        return await _change(browser, sid, typed, problem=problem, status_code=problem.status)
    added = wanted - from_quantity
    return browser.redirect(f"/subscriptions/{sid}" + (f"?added={added}" if added > 0 else ""))


# -- the amendment (R12) -----------------------------------------------------------------------


@router.get("/subscriptions/{subscription_id}/amendments/{amendment_id}")
async def amendment_page(subscription_id: str, amendment_id: str, browser: BrowserDep) -> Response:
    """The page the amendment e-mail links to."""
    return await _amendment(browser, valid_id(subscription_id), valid_id(amendment_id))


async def _amendment(
    browser: Browser, sid: str, aid: str, problem: UpstreamProblem | None = None, status_code: int = 200
) -> Response:
    token = browser.token
    amendment = (await browser.upstream.subscriptions.get(f"/subscriptions/{sid}/amendments/{aid}", token)).body
    s = await _subscription(browser, sid)
    tier = None
    if amendment["status"] == "open":
        try:
            quote = (
                await browser.upstream.subscriptions.get(
                    f"/subscriptions/{sid}/tier-change-preview", token, {"tier": amendment["to_tier"]}
                )
            ).body
            tier = tier_effect(s, quote, int(quote["quantity"]))
        except UpstreamProblem as refused:
            if not shown(refused):
                raise
            # Without a quote the amendment can still be read; accepting it says what is wrong.
    return await render_named(
        browser,
        "manage/amendment.html",
        status_code=status_code,
        s=s,
        amendment=amendment,
        tier=tier,
        problem=problem,
        key=new_key(),
    )


@router.post("/subscriptions/{subscription_id}/amendments/{amendment_id}")
async def accept_amendment(subscription_id: str, amendment_id: str, browser: BrowserDep) -> Response:
    sid, aid = valid_id(subscription_id), valid_id(amendment_id)
    form = await browser.form()
    token = browser.token
    key = idempotency_key(form)
    try:
        await browser.upstream.subscriptions.command(
            "POST", f"/subscriptions/{sid}/amendments/{aid}/acceptance", token, key
        )
    except UpstreamProblem as problem:
        if not shown(problem):
            raise
        return await _amendment(browser, sid, aid, problem=problem, status_code=problem.status)
    return browser.redirect(f"/subscriptions/{sid}/amendments/{aid}")


# -- billing cycle (R16), purchase details (R18), add-ons (R20), withdrawal (R14) ---------------


async def _command_from_manage(
    browser: Browser,
    sid: str,
    method: str,
    path: str,
    key: str,
    body: Any,
    typed: dict[str, str],
) -> Response:
    try:
        await browser.upstream.subscriptions.command(method, f"/subscriptions/{sid}{path}", browser.token, key, body)
    except UpstreamProblem as problem:
        if not shown(problem):
            raise
        return await _manage(browser, sid, problem=problem, status_code=problem.status, typed=typed)
    return browser.redirect(f"/subscriptions/{sid}")


@router.post("/subscriptions/{subscription_id}/billing-cycle")
async def billing_cycle(subscription_id: str, browser: BrowserDep) -> Response:
    sid = valid_id(subscription_id)
    form = await browser.form()
    key = idempotency_key(form)
    cycle = str(form.get("billing_cycle", ""))
    if cycle not in CYCLES:
        return await _manage(browser, sid, refusal("cycle_invalid"), 422)
    return await _command_from_manage(
        browser, sid, "POST", "/billing-cycle", key, {"billing_cycle": cycle}, {"billing_cycle": cycle}
    )


@router.post("/subscriptions/{subscription_id}/purchase-details")
async def purchase_details(subscription_id: str, browser: BrowserDep) -> Response:
    sid = valid_id(subscription_id)
    form = await browser.form()
    key = idempotency_key(form)
    typed = {name: str(form.get(name) or "") for name in ("po_number", "payment_method")}
    try:
        po = _text(form, "po_number", MAX_PO, "po_too_long")
        payment = _text(form, "payment_method", MAX_PAYMENT, "payment_too_long")
    except Invalid as invalid:
        return await _manage(browser, sid, refusal(invalid.code), 422, typed)
    body = {"po_number": po or None, "payment_method": payment or None}
    return await _command_from_manage(browser, sid, "PUT", "/purchase-details", key, body, typed)


@router.post("/subscriptions/{subscription_id}/addons")
async def addon(subscription_id: str, browser: BrowserDep) -> Response:
    sid = valid_id(subscription_id)
    form = await browser.form()
    key = idempotency_key(form)
    code = str(form.get("addon", ""))
    if code not in (await _offer(browser, (await _subscription(browser, sid))["product"])).addons:
        return await _manage(browser, sid, refusal("addon_invalid"), 422)
    return await _command_from_manage(browser, sid, "POST", "/addons", key, {"addon": code}, {"addon": code})


@router.post("/subscriptions/{subscription_id}/cancellation/withdrawal")
async def withdraw_cancellation(subscription_id: str, browser: BrowserDep) -> Response:
    sid = valid_id(subscription_id)
    form = await browser.form()
    key = idempotency_key(form)
    return await _command_from_manage(browser, sid, "POST", "/cancellation/withdrawal", key, None, {})


# -- cancellation (R14, R49) -------------------------------------------------------------------


@router.get("/subscriptions/{subscription_id}/cancellation")
async def cancellation_page(
    subscription_id: str, browser: BrowserDep, reason: str | None = None, detail: str | None = None
) -> Response:
    """Without a reason: the list to choose from. With one: the review, with the end date."""
    sid = valid_id(subscription_id)
    typed = {"reason": reason or "", "detail": detail or ""}
    if reason is None:
        return await _cancellation(browser, sid, typed)
    try:
        _reason(typed)
    except Invalid as invalid:
        return await _cancellation(browser, sid, typed, problem=refusal(invalid.code), status_code=422)
    return await _cancellation(browser, sid, typed, review=True)


async def _cancellation(
    browser: Browser,
    sid: str,
    typed: dict[str, str],
    review: bool = False,
    problem: UpstreamProblem | None = None,
    status_code: int = 200,
) -> Response:
    s = await _subscription(browser, sid)
    return await render_named(
        browser,
        "manage/cancellation.html",
        status_code=status_code,
        s=s,
        typed=typed,
        review=review,
        reasons=REASONS,
        ends_on=s.get("term_end") or s.get("trial_ends_at"),
        problem=problem,
        key=new_key(),
        max_detail=MAX_DETAIL,
    )


@router.post("/subscriptions/{subscription_id}/cancellation")
async def cancel(subscription_id: str, browser: BrowserDep) -> Response:
    sid = valid_id(subscription_id)
    form = await browser.form()
    token = browser.token
    key = idempotency_key(form)
    typed = {"reason": str(form.get("reason") or ""), "detail": str(form.get("detail") or "")}
    try:
        reason, detail = _reason(form)
    except Invalid as invalid:
        return await _cancellation(browser, sid, typed, problem=refusal(invalid.code), status_code=422)
    try:
        await browser.upstream.subscriptions.command(
            "POST", f"/subscriptions/{sid}/cancellation", token, key, {"reason": _reason_line(reason, detail)}
        )
    except UpstreamProblem as problem:
        if not shown(problem):
            raise
        return await _cancellation(browser, sid, typed, review=True, problem=problem, status_code=problem.status)
    return browser.redirect(f"/subscriptions/{sid}")


# -- transfer of administration (R17, R38) -----------------------------------------------------


@router.get("/subscriptions/{subscription_id}/administrator")
async def transfer_page(subscription_id: str, browser: BrowserDep) -> Response:
    return await _transfer(browser, valid_id(subscription_id))


async def _transfer(
    browser: Browser,
    sid: str,
    typed: dict[str, str] | None = None,
    problem: UpstreamProblem | None = None,
    status_code: int = 200,
) -> Response:
    s = await _subscription(browser, sid)
    session = browser.signed_in()
    contacts = await browser.upstream.identity.get_all(f"/accounts/{s['account_id']}/contacts", browser.token)
    others = [c for c in contacts if c.get("person_id") != session.person_id]
    return await render_named(
        browser,
        "manage/transfer.html",
        status_code=status_code,
        s=s,
        contacts=others,
        typed=typed or {},
        problem=problem,
        key=new_key(),
    )


@router.post("/subscriptions/{subscription_id}/administrator")
async def transfer(subscription_id: str, browser: BrowserDep) -> Response:
    """To a contact chosen in the list, or one added here first (identity), then named by
    e-mail to subscriptions (R38: the contact must be registered)."""
    sid = valid_id(subscription_id)
    form = await browser.form()
    token = browser.token
    key = idempotency_key(form)
    fields = ("contact", "email", "first_name", "last_name", "language")
    typed = {name: str(form.get(name) or "") for name in fields}
    try:
        choice = _text(form, "contact", forms.MAX_EMAIL, "contact_required")
        if not choice:
            raise Invalid("contact_required")
        new = None
        if choice == "new":
            new = {
                "email": _text(form, "email", forms.MAX_EMAIL, "new_contact_invalid"),
                "first_name": _text(form, "first_name", MAX_NAME, "new_contact_invalid"),
                "last_name": _text(form, "last_name", MAX_NAME, "new_contact_invalid"),
                "locale": typed["language"] if typed["language"] in ("en", "fr", "nl", "de") else browser.locale,
            }
            if not (forms.EMAIL.fullmatch(new["email"]) and new["first_name"] and new["last_name"]):
                raise Invalid("new_contact_invalid")
            choice = new["email"]
        elif not forms.EMAIL.fullmatch(choice):
            raise Invalid("contact_required")
    except Invalid as invalid:
        return await _transfer(browser, sid, typed, refusal(invalid.code), 422)
    try:
        if new is not None:
            s = await _subscription(browser, sid)
            try:
                await browser.upstream.identity.command(
                    "POST",
                    f"/accounts/{s['account_id']}/contacts",
                    token,
                    f"{key}.contact",
                    new,
                    browser.client_address,
                )
            except UpstreamProblem as refused:
                # Adding a contact is the company administrator's (identity answers 403 to
                # anyone else): a refusal to explain, not an unknown page.
                if refused.status != 403:
                    raise
                return await _transfer(browser, sid, typed, refusal("not_a_company_administrator", 403), 403)
        await browser.upstream.subscriptions.command(
            "POST", f"/subscriptions/{sid}/administrator", token, key, {"email": choice}
        )
    except UpstreamProblem as problem:
        if not shown(problem):
            raise
        return await _transfer(browser, sid, typed, problem, problem.status)
    return browser.redirect(f"/subscriptions/{sid}/administrator/transferred")


@router.get("/subscriptions/{subscription_id}/administrator/transferred")
async def transferred(subscription_id: str, browser: BrowserDep) -> Response:
    """After the transfer the subscription is no longer the person's to read (R17): this page
    reads nothing."""
    browser.signed_in()
    return await browser.render("manage/transferred.html", subscription_id=valid_id(subscription_id))
