""" "My software" (HAT "Mijn software", R40) for any signed-in person, and the administrator's
views of floating seats in use (R26) and of the devices holding node-locked keys, with their
deactivation (R27).

Upstream calls:
- `/software`: seats `GET /me/software` (the caller's own seats only): per product its links
  from the catalogue (web: where it opens; desktop: its installer and its page), the activation
  key kept for them (node-locked, R41), the devices they activated, and `payment_overdue`
  (`{"suspended_at"}`, issue 15) while billing suspends the subscription for an overdue invoice;
  freeing one of their own devices (a device reset, issue 14) is seats
  `POST /subscriptions/{id}/keys/{key}/deactivation` as the key's holder, which seats allows a
  few times in 30 days (429 with Retry-After past it).
- `/subscriptions/{id}/floating`: subscriptions `GET /subscriptions/{id}`, seats
  `GET /subscriptions/{id}/leases` (every page) and `GET /subscriptions/{id}/users` (who each
  holder is: a lease names a person id only).
- `/subscriptions/{id}/devices`: the same subscription and users, seats
  `GET /subscriptions/{id}/keys` (every page); deactivation: seats
  `POST /subscriptions/{id}/keys/{key}/deactivation` with the key its confirmation was rendered with.

Another company's subscription, an unknown one and a malformed id are one not-found page."""

from __future__ import annotations

from datetime import timedelta
from typing import Any
from urllib.parse import urlsplit

from fastapi import APIRouter
from fastapi.responses import Response

from portal.adapters.upstream import UpstreamProblem
from portal.api.deps import ID, BrowserDep, PageNotFound, new_key, valid_id
from portal.api.forms import ensure_shown, idempotency_key
from portal.api.names import render_named
from portal.api.suspension import payment_overdue

router = APIRouter(tags=["pages"], include_in_schema=False)

# -- My software (R40) -------------------------------------------------------------------------


MAX_LINK = 2000


def safe_link(url: Any) -> str | None:
    """A catalogue link the page may show: an absolute https URL on one line, with a host and
    no credentials. Anything else (`javascript:`, `http:`, a relative path) is not shown: the
    person sees the product without the link rather than a link that could hurt them."""
    if not isinstance(url, str) or not url or len(url) > MAX_LINK or any(c.isspace() or ord(c) < 32 for c in url):
        return None
    try:
        parts = urlsplit(url)
    except ValueError:
        return None
    if parts.scheme != "https" or not parts.hostname or "@" in parts.netloc:
        return None
    return url


def _shown(item: dict[str, Any]) -> dict[str, Any]:
    """One product as the page shows it: its links checked, and a fresh Idempotency-Key for
    the form that frees each device (one form, one reset however often it is sent).

    Issue 15: while its subscription is suspended for an overdue invoice, the banner in its
    non-administrator form ("contact your administrator"; seats gives a seat user no invoice to
    link, even one who also administers it) and no link to start or download it: the product
    would refuse them, so the page says why in words instead."""
    overdue = payment_overdue(item, {}, None)
    kind, start = item.get("kind"), safe_link(item.get("start_url"))
    usable = overdue is None
    return {
        **item,
        "overdue": overdue,
        "open_link": start if kind == "web" and usable else None,
        "download_link": safe_link(item.get("download_url")) if kind == "desktop" and usable else None,
        "page_link": start if kind == "desktop" and usable else None,
        "devices": [{**device, "reset_key": new_key()} for device in item.get("devices") or []],
    }


@router.get("/software")
async def my_software(browser: BrowserDep, freed: str = "") -> Response:
    """Any signed-in person, administrator or not: only their own seats are asked for."""
    return await _my_software(browser, freed=bool(ID.fullmatch(freed)))


async def _my_software(browser: BrowserDep, freed: bool = False) -> Response:
    answer = await browser.upstream.seats.get("/me/software", browser.token)
    software = [_shown(item) for item in answer.body["software"]]
    return await render_named(browser, "software/mine.html", software=software, freed=freed)


@router.post("/software/{subscription_id}/devices/{key_id}/reset")
async def free_device(subscription_id: str, key_id: str, browser: BrowserDep) -> Response:
    """A device reset by the key's holder (R27, issue 14): seats' deactivation as the person
    who activated it, with the key the form was rendered with (a double click is one reset).
    Seats counts the resets and refuses past its limit (429, Retry-After): the refusal page
    says when they may try again, and that the administrator can free it meanwhile. Someone
    else's key answers as an unknown one (seats' 404: the not-found page)."""
    subscription_id, key_id = valid_id(subscription_id), valid_id(key_id)
    try:
        await _deactivate_key(browser, subscription_id, key_id)
    except UpstreamProblem as problem:
        if problem.code not in RESET_REFUSALS:  # 403 of these is a refusal to show, not "not yours"
            ensure_shown(problem)
        retry_at = browser.now() + timedelta(seconds=problem.retry_after) if problem.retry_after else None
        return await render_named(
            browser, "software/not_freed.html", status_code=problem.status, problem=problem, retry_at=retry_at
        )
    return browser.redirect(f"/software?freed={key_id}")


# Seats' refusals of a holder's own reset: past the limit (429), or resets left to the
# administrator (403, a limit of 0).
RESET_REFUSALS = ("device_resets_exceeded", "device_reset_by_administrator")


# -- Floating seats in use (R26) ---------------------------------------------------------------


@router.get("/subscriptions/{subscription_id}/floating")
async def floating(subscription_id: str, browser: BrowserDep) -> Response:
    subscription_id = valid_id(subscription_id)
    subscription = await _subscription(browser, subscription_id)
    leases = await _read(
        browser, lambda: browser.upstream.seats.get_all(f"/subscriptions/{subscription_id}/leases", browser.token)
    )
    people = await _people(browser, subscription_id) if leases else {}
    return await render_named(
        browser,
        "software/floating.html",
        subscription=subscription,
        subscription_id=subscription_id,
        leases=[{**lease, "holder": people.get(lease["person_id"])} for lease in leases],
    )


# -- Node-locked devices (R27) -----------------------------------------------------------------


@router.get("/subscriptions/{subscription_id}/devices")
async def devices(subscription_id: str, browser: BrowserDep) -> Response:
    subscription_id = valid_id(subscription_id)
    return await _devices(browser, subscription_id)


@router.get("/subscriptions/{subscription_id}/devices/{key_id}/deactivation")
async def confirm_deactivation(subscription_id: str, key_id: str, browser: BrowserDep) -> Response:
    """The confirmation step: what will be released, and the form that releases it."""
    subscription_id, key_id = valid_id(subscription_id), valid_id(key_id)
    return await _confirmation(browser, subscription_id, key_id)


@router.post("/subscriptions/{subscription_id}/devices/{key_id}/deactivation")
async def deactivate(subscription_id: str, key_id: str, browser: BrowserDep) -> Response:
    """Seats' deactivation with the key the confirmation was rendered with: a double click or a
    resubmitted form is one deactivation."""
    subscription_id, key_id = valid_id(subscription_id), valid_id(key_id)
    try:
        await _deactivate_key(browser, subscription_id, key_id)
    except UpstreamProblem as problem:
        ensure_shown(problem)
        return await _devices(browser, subscription_id, problem=problem, status_code=problem.status)
    return browser.redirect(f"/subscriptions/{subscription_id}/devices?deactivated={key_id}")


async def _deactivate_key(browser: BrowserDep, subscription_id: str, key_id: str) -> None:
    """Seats' deactivation of a key, by its holder or the administrator, with the form's
    Idempotency-Key (a double click or a resubmitted form is one deactivation)."""
    key = idempotency_key(await browser.form())
    path = f"/subscriptions/{subscription_id}/keys/{key_id}/deactivation"
    await browser.upstream.seats.command("POST", path, browser.token, key)


async def _devices(
    browser: BrowserDep, subscription_id: str, problem: UpstreamProblem | None = None, status_code: int = 200
) -> Response:
    subscription = await _subscription(browser, subscription_id)
    keys = await _keys(browser, subscription_id)
    holders = {k["activated_by"] for k in keys if k["activated_by"]}
    people = await _people(browser, subscription_id) if holders else {}
    deactivated = browser.request.query_params.get("deactivated", "")
    return await render_named(
        browser,
        "software/devices.html",
        status_code=status_code,
        subscription=subscription,
        subscription_id=subscription_id,
        keys=[{**k, "holder": people.get(k["activated_by"] or "")} for k in keys],
        deactivated=deactivated if any(k["key_id"] == deactivated for k in keys) else "",
        problem=problem,
    )


async def _confirmation(browser: BrowserDep, subscription_id: str, key_id: str) -> Response:
    subscription = await _subscription(browser, subscription_id)
    key = next((k for k in await _keys(browser, subscription_id) if k["key_id"] == key_id), None)
    if key is None:
        raise PageNotFound()
    if not key["active"]:  # already released: nothing to confirm
        return browser.redirect(f"/subscriptions/{subscription_id}/devices")
    people = await _people(browser, subscription_id) if key["activated_by"] else {}
    return await render_named(
        browser,
        "software/deactivate.html",
        subscription=subscription,
        subscription_id=subscription_id,
        key={**key, "holder": people.get(key["activated_by"] or "")},
        idempotency_key=new_key(),
    )


# -- reads -------------------------------------------------------------------------------------


async def _subscription(browser: BrowserDep, subscription_id: str) -> dict[str, Any]:
    """The subscription the person administers: subscriptions says 404 for anyone else's."""
    answer = await _read(
        browser, lambda: browser.upstream.subscriptions.get(f"/subscriptions/{subscription_id}", browser.token)
    )
    body: dict[str, Any] = answer.body
    return body


async def _keys(browser: BrowserDep, subscription_id: str) -> list[dict[str, Any]]:
    return await _read(
        browser,
        lambda: browser.upstream.seats.get_all(f"/subscriptions/{subscription_id}/keys", browser.token, items="keys"),
    )


async def _people(browser: BrowserDep, subscription_id: str) -> dict[str, dict[str, Any]]:
    """Each seat user by person id: a lease or a key names its holder by person id only."""
    users = await _read(
        browser,
        lambda: browser.upstream.seats.get_all(f"/subscriptions/{subscription_id}/users", browser.token, items="users"),
    )
    return {u["person_id"]: u for u in users if u.get("person_id")}


async def _read(browser: BrowserDep, call: Any) -> Any:
    """A read whose 403/404 (another company's or unknown) is the not-found page; 401 and the
    rest go on to the error handler (it signs out on 401)."""
    try:
        return await call()
    except UpstreamProblem as problem:
        if problem.not_found:
            raise PageNotFound() from None
        raise
