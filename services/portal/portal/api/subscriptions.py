"""The subscriptions overview ("Vos abonnements", R6, R35) and the agreement page (R7, R8,
R36): read it, accept it once however often the form is sent, and see the seats unlocked;
then its version, who accepted it and when, the file to download, and every agreement of
the subscription (purchase and amendments), for as long as the subscription exists.

Every read comes from subscriptions (`GET /subscriptions`, `GET /subscriptions/{id}`,
`GET /subscriptions/{id}/agreement`, `GET /subscriptions/{id}/agreements`, the file from
`GET /subscriptions/{id}/agreements/{n}/document`) and seats (`GET /subscriptions/{id}/seats`);
an id that is unknown or another company's gives the same not-found page (`portal.api.errors`)."""

from __future__ import annotations

import asyncio
import re
from typing import Any

from fastapi import APIRouter
from fastapi.responses import Response

from portal.adapters.upstream import UpstreamProblem
from portal.api.deps import BrowserDep, PageNotFound, new_key, valid_id
from portal.api.forms import idempotency_key, shown
from portal.api.names import catalogue_names, render_named
from portal.api.suspension import payment_overdue

router = APIRouter(tags=["pages"], include_in_schema=False)

POLL_SECONDS = 2
CONCURRENT_READS = 8  # seats' pools read at once for the overview's rows
AGREEMENT_NUMBER = re.compile(r"[1-9][0-9]{0,6}")  # subscriptions numbers them from 1 (R36)
FILENAME_UNSAFE = re.compile(r"[^A-Za-z0-9_.-]")


@router.get("/subscriptions")
async def overview(browser: BrowserDep) -> Response:
    """R35: a seat decrease waits in seats (its pool's `scheduled_quantity`) until the term
    end; issue 15: access suspended for an overdue invoice (its pool's `payment_overdue`).
    Each row reads its pool, a few at a time, and goes without it if seats does not answer."""
    token = browser.token
    person_id = browser.signed_in().person_id
    found = await browser.upstream.subscriptions.get_all("/subscriptions", token)
    gate = asyncio.Semaphore(CONCURRENT_READS)

    async def with_pool(s: dict[str, Any]) -> dict[str, Any]:
        async with gate:
            try:
                pool = (await browser.upstream.seats.get(f"/subscriptions/{s['id']}/seats", token)).body
            except UpstreamProblem as problem:
                if problem.unauthenticated:
                    raise
                return {**s, "payment_overdue": None}
        scheduled = pool.get("scheduled_quantity") if isinstance(pool, dict) else None
        row = {**s, "scheduled_quantity": scheduled} if scheduled else s
        return {**row, "payment_overdue": payment_overdue(pool, s, person_id)}

    rows, names = await asyncio.gather(asyncio.gather(*(with_pool(s) for s in found)), catalogue_names(browser))
    return await render_named(browser, "subscriptions.html", subscriptions=list(rows), names=names)


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
    agreements = await _agreements(browser, subscription_id)
    unlocked = (
        await _seats_unlocked(browser, subscription_id) if agreement["status"] in ("active", "trialing") else False
    )
    return await render_named(
        browser,
        "agreement.html",
        status_code=status_code,
        agreement=agreement,
        subscription=subscription,
        accepted=accepted,
        agreements=agreements,
        unlocked=unlocked,
        subscription_id=subscription_id,
        key=new_key(),
        problem=problem,
        poll_seconds=POLL_SECONDS,
    )


@router.get("/subscriptions/{subscription_id}/agreements/{number}/download")
async def download_agreement(subscription_id: str, number: str, browser: BrowserDep) -> Response:
    """R36: the agreement as subscriptions keeps it, a plain-text file to save, fetched here
    with the person's token so that the token never reaches the browser."""
    subscription_id = valid_id(subscription_id)
    if not AGREEMENT_NUMBER.fullmatch(number):
        raise PageNotFound()
    try:
        answer = await browser.upstream.subscriptions.document(
            f"/subscriptions/{subscription_id}/agreements/{number}/document", browser.token
        )
    except UpstreamProblem as problem:
        if problem.not_found:
            raise PageNotFound() from None
        raise
    version = answer.headers.get("x-agreement-version")
    name = "-".join(part for part in ("agreement", subscription_id, number, version) if part)
    filename = FILENAME_UNSAFE.sub("_", name) + ".txt"
    return Response(
        answer.content,
        media_type="text/plain; charset=utf-8",
        # `nosniff` and `no-store` are on every answer already (portal.api.errors).
        headers={"Content-Disposition": f'attachment; filename="{filename}"'},
    )


async def _agreements(browser: BrowserDep, subscription_id: str) -> list[dict[str, Any]]:
    """R36: every agreement of the subscription. The list only adds to the page: a
    subscriptions service that cannot give it leaves the agreement readable and acceptable."""
    try:
        path = f"/subscriptions/{subscription_id}/agreements"
        found = await browser.upstream.subscriptions.get_all(path, browser.token)
    except UpstreamProblem as problem:
        if problem.unauthenticated:
            raise
        return []
    return [a for a in found if isinstance(a, dict)]


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
