""" "My software" (HAT "Mijn software", R40) for any signed-in person, and the administrator's
views of floating seats in use (R26) and of the devices holding node-locked keys, with their
deactivation (R27).

Upstream calls:
- `/software`: seats `GET /me/software` (the caller's own seats only).
- `/subscriptions/{id}/floating`: subscriptions `GET /subscriptions/{id}`, seats
  `GET /subscriptions/{id}/leases` (every page) and `GET /subscriptions/{id}/users` (who each
  holder is: a lease names a person id only).
- `/subscriptions/{id}/devices`: the same subscription and users, seats
  `GET /subscriptions/{id}/keys` (every page); deactivation: seats
  `POST /subscriptions/{id}/keys/{key}/deactivation` with the key its confirmation was rendered with.

Another company's subscription, an unknown one and a malformed id are one not-found page."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter
from fastapi.responses import Response

from portal.adapters.upstream import UpstreamProblem
from portal.api.deps import BrowserDep, PageNotFound, new_key, valid_id
from portal.api.forms import ensure_shown, idempotency_key
from portal.api.names import render_named

router = APIRouter(tags=["pages"], include_in_schema=False)

# -- My software (R40) -------------------------------------------------------------------------


@router.get("/software")
async def my_software(browser: BrowserDep) -> Response:
    """Any signed-in person, administrator or not: only their own seats are asked for."""
    answer = await browser.upstream.seats.get("/me/software", browser.token)
    return await render_named(browser, "software/mine.html", software=answer.body["software"])


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
    form = await browser.form()
    token = browser.token
    key = idempotency_key(form)
    try:
        await browser.upstream.seats.command(
            "POST", f"/subscriptions/{subscription_id}/keys/{key_id}/deactivation", token, key
        )
    except UpstreamProblem as problem:
        ensure_shown(problem)
        return await _devices(browser, subscription_id, problem=problem, status_code=problem.status)
    return browser.redirect(f"/subscriptions/{subscription_id}/devices?deactivated={key_id}")


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
