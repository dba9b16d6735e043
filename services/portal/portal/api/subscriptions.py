"""The subscriptions overview ("Vos abonnements", R6, R35) and the agreement page (R7, R8):
read it, accept it once however often the form is sent, and see the seats unlocked.

Every read comes from subscriptions (`GET /subscriptions`, `GET /subscriptions/{id}/agreement`)
and seats (`GET /subscriptions/{id}/seats`); an id that is unknown or another company's
gives the same not-found page (`portal.api.errors`)."""

from __future__ import annotations

import asyncio
from typing import Any

from fastapi import APIRouter
from fastapi.responses import Response

from portal.adapters.upstream import UpstreamProblem
from portal.api.deps import BrowserDep, new_key, valid_id
from portal.api.forms import idempotency_key, shown

router = APIRouter(tags=["pages"], include_in_schema=False)

POLL_SECONDS = 2
CONCURRENT_READS = 8  # seats' pools read at once for the overview's rows


@router.get("/subscriptions")
async def overview(browser: BrowserDep) -> Response:
    """R35: a seat decrease waits in seats (its pool's `scheduled_quantity`) until the term
    end; each row reads its pool, a few at a time, and goes without it if seats does not answer."""
    token = browser.token
    found = await browser.upstream.subscriptions.get_all("/subscriptions", token)
    gate = asyncio.Semaphore(CONCURRENT_READS)

    async def with_decrease(s: dict[str, Any]) -> dict[str, Any]:
        async with gate:
            try:
                pool = (await browser.upstream.seats.get(f"/subscriptions/{s['id']}/seats", token)).body
            except UpstreamProblem as problem:
                if problem.unauthenticated:
                    raise
                return s
        scheduled = pool.get("scheduled_quantity") if isinstance(pool, dict) else None
        return {**s, "scheduled_quantity": scheduled} if scheduled else s

    rows = await asyncio.gather(*(with_decrease(s) for s in found))
    return await browser.render("subscriptions.html", subscriptions=list(rows))


@router.get("/subscriptions/{subscription_id}/agreement")
async def agreement_page(subscription_id: str, browser: BrowserDep) -> Response:
    return await _agreement(browser, valid_id(subscription_id))


@router.post("/subscriptions/{subscription_id}/agreement")
async def accept_agreement(subscription_id: str, browser: BrowserDep) -> Response:
    """Accept (subscriptions' `POST .../activation`) with the key the form was rendered with:
    a double click or a resubmitted form is one acceptance."""
    subscription_id = valid_id(subscription_id)
    form = await browser.form()
    token = browser.token
    key = idempotency_key(form)
    try:
        await browser.upstream.subscriptions.command("POST", f"/subscriptions/{subscription_id}/activation", token, key)
    except UpstreamProblem as problem:
        if not shown(problem):
            raise
        return await _agreement(browser, subscription_id, problem=problem, status_code=problem.status)
    return browser.redirect(f"/subscriptions/{subscription_id}/agreement")


@router.get("/subscriptions/{subscription_id}/activation")
async def activation(subscription_id: str, browser: BrowserDep) -> Response:
    """The activation's progress: a partial htmx polls, or the agreement page without JS."""
    subscription_id = valid_id(subscription_id)
    if browser.request.headers.get("hx-request") != "true":
        return browser.redirect(f"/subscriptions/{subscription_id}/agreement")
    unlocked = await _seats_unlocked(browser, subscription_id)
    return browser.fragment("partials/activation.html", subscription_id=subscription_id, unlocked=unlocked)


async def _agreement(
    browser: BrowserDep, subscription_id: str, problem: UpstreamProblem | None = None, status_code: int = 200
) -> Response:
    token = browser.token
    agreement = (await browser.upstream.subscriptions.get(f"/subscriptions/{subscription_id}/agreement", token)).body
    subscription = (await browser.upstream.subscriptions.get(f"/subscriptions/{subscription_id}", token)).body
    accepted = agreement["status"] != "pending_activation"
    unlocked = (
        await _seats_unlocked(browser, subscription_id) if agreement["status"] in ("active", "trialing") else False
    )
    return await browser.render(
        "agreement.html",
        status_code=status_code,
        agreement=agreement,
        subscription=subscription,
        accepted=accepted,
        unlocked=unlocked,
        subscription_id=subscription_id,
        key=new_key(),
        problem=problem,
        poll_seconds=POLL_SECONDS,
    )


async def _seats_unlocked(browser: BrowserDep, subscription_id: str) -> bool:
    """Seats has unlocked the pool (`seats.unlocked`); before seats has heard of the
    activation its pool is locked, or not there yet (404): still activating. Seats not
    answering does not fail the page: it still says activating, and the poll asks again."""
    try:
        pool: Any = (await browser.upstream.seats.get(f"/subscriptions/{subscription_id}/seats", browser.token)).body
    except UpstreamProblem as problem:
        if problem.unauthenticated:
            raise
        return False  # not there yet, or seats unreachable for now: the next poll asks again
    return bool(pool.get("status") == "unlocked")
