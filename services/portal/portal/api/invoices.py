"""Invoices (R31, R32): the company's list, a subscription's list, one invoice viewable in the
page and downloadable.

Every amount is billing's own, in integer minor units (R32): the page formats them per
locale and adds nothing up itself except what it shows as billing sent it. The PO number is
the one billing printed on the invoice when it was issued (R31).

Upstream calls:
- billing `GET /invoices?limit=&cursor=` (one page of summaries, newest first) and
  `GET /invoices/{id}` per invoice shown, for its lines (period and subscriptions);
- subscriptions `GET /subscriptions/{id}` for a subscription's list (not yours → not found);
- billing `GET /invoices/{id}.html` for the download: billing's own document, sent as an
  attachment and never rendered inside the portal's pages.

An invoice that is unknown, another company's, or of a company the person administers nothing
of is the same not-found page (billing answers 404 for all of them, R6).
"""

from __future__ import annotations

import asyncio
import re
from collections.abc import Iterable
from typing import Any

from fastapi import APIRouter
from fastapi.responses import Response

from portal.adapters.rendering import N_, PROBLEMS
from portal.adapters.upstream import UpstreamProblem
from portal.api.deps import BrowserDep, PageNotFound, valid_id
from portal.api.forms import cursor as valid_cursor
from portal.api.names import render_named

router = APIRouter(tags=["pages"], include_in_schema=False)

PAGE_SIZE = 25
# A subscription's invoices are found by reading the company's invoices' lines (billing has no
# per-subscription list): the newest this many are looked at.
SCANNED_FOR_A_SUBSCRIPTION = 200
CONCURRENT_READS = 8
# billing's invoice ids are UUIDs; no dot, so `/invoices/x.html` can never reach billing's HTML route.
INVOICE_ID = re.compile(r"[A-Za-z0-9_-]{1,64}")
FILENAME_UNSAFE = re.compile(r"[^A-Za-z0-9_.-]")

# billing refusing a list, said on the list page (the page exists, it is just not for this
# person): the wording is the page's, as billing's code is identity's too (rendering.PROBLEMS).
LIST_REFUSALS = {
    "not_an_administrator": N_(
        "Only an administrator of one of the company's subscriptions can read its invoices. Ask one of them."
    ),
    "invalid_cursor": PROBLEMS["invalid_cursor"],
}


def _invoice_id(value: str) -> str:
    if not INVOICE_ID.fullmatch(value):
        raise PageNotFound()
    return value


def _row(invoice: dict[str, Any]) -> dict[str, Any]:
    """One invoice as the lists show it: billing's fields, plus the period its lines cover and
    the subscriptions they are for."""
    lines = invoice.get("lines") or []
    starts = [line["period_start"] for line in lines]
    ends = [line["period_end"] for line in lines]
    return {
        **invoice,
        "period_start": min(starts) if starts else None,
        "period_end": max(ends) if ends else None,
        "subscription_ids": sorted({line["subscription_id"] for line in lines}),
    }


async def _details(browser: BrowserDep, summaries: Iterable[dict[str, Any]]) -> list[dict[str, Any]]:
    """Each summary's full invoice (its lines), a few at a time; one that went away meanwhile
    is shown from its summary."""
    token = browser.token
    gate = asyncio.Semaphore(CONCURRENT_READS)

    async def one(summary: dict[str, Any]) -> dict[str, Any]:
        async with gate:
            try:
                return _row((await browser.upstream.billing.get(f"/invoices/{summary['invoice_id']}", token)).body)
            except UpstreamProblem as problem:
                if problem.not_found:
                    return _row(summary)
                raise

    return list(await asyncio.gather(*(one(summary) for summary in summaries)))


async def _list_problem(browser: BrowserDep, problem: UpstreamProblem, **context: Any) -> Response:
    """billing refusing the list: a person administering nothing of the company (403, R6) is
    told so instead of a not-found page (the page exists, it is just not for them)."""
    if problem.unauthenticated or problem.status >= 500 or problem.code not in LIST_REFUSALS:
        raise problem
    return await render_named(
        browser,
        "invoices/list.html",
        status_code=403 if problem.code == "not_an_administrator" else problem.status,
        invoices=[],
        next_cursor=None,
        message=LIST_REFUSALS[problem.code],
        **context,
    )


@router.get("/invoices")
async def company_invoices(browser: BrowserDep, cursor: str | None = None) -> Response:
    """The company's invoices, newest first, a page at a time (billing's cursor)."""
    token = browser.token
    cursor = valid_cursor(cursor) or None  # not one billing gave: the first page
    params: dict[str, str | int] = {"limit": PAGE_SIZE}
    if cursor:
        params["cursor"] = cursor
    try:
        answer = await browser.upstream.billing.get("/invoices", token, params)
    except UpstreamProblem as problem:
        return await _list_problem(browser, problem, subscription=None, first_page=cursor is None)
    rows = await _details(browser, answer.body)
    return await render_named(
        browser,
        "invoices/list.html",
        invoices=rows,
        next_cursor=answer.headers.get("x-next-cursor"),
        subscription=None,
        first_page=cursor is None,
        message=None,
    )


@router.get("/subscriptions/{subscription_id}/invoices")
async def subscription_invoices(subscription_id: str, browser: BrowserDep) -> Response:
    """The invoices carrying a line of this subscription, newest first."""
    subscription_id = valid_id(subscription_id)
    token = browser.token
    try:
        subscription = (await browser.upstream.subscriptions.get(f"/subscriptions/{subscription_id}", token)).body
    except UpstreamProblem as problem:
        if problem.not_found:
            raise PageNotFound() from None
        raise
    try:
        summaries = await browser.upstream.billing.get_all("/invoices", token)
    except UpstreamProblem as problem:
        return await _list_problem(browser, problem, subscription=subscription, first_page=True)
    rows = await _details(browser, summaries[:SCANNED_FOR_A_SUBSCRIPTION])
    return await render_named(
        browser,
        "invoices/list.html",
        invoices=[row for row in rows if subscription_id in row["subscription_ids"]],
        next_cursor=None,
        subscription=subscription,
        first_page=True,
        message=None,
    )


async def _invoice(browser: BrowserDep, invoice_id: str) -> dict[str, Any]:
    try:
        found: dict[str, Any] = (await browser.upstream.billing.get(f"/invoices/{invoice_id}", browser.token)).body
    except UpstreamProblem as problem:
        if problem.not_found:
            raise PageNotFound() from None
        raise
    return found


@router.get("/invoices/{invoice_id}")
async def invoice_page(invoice_id: str, browser: BrowserDep) -> Response:
    """The invoice rendered by the portal from billing's JSON (never billing's HTML inside the
    page: upstream markup is not trusted here), in the person's language."""
    invoice = _row(await _invoice(browser, _invoice_id(invoice_id)))
    return await browser.render("invoices/invoice.html", invoice=invoice)


@router.get("/invoices/{invoice_id}/download")
async def download(invoice_id: str, browser: BrowserDep) -> Response:
    """billing's HTML document as a file to save: an attachment, sandboxed and never sniffed,
    so its markup cannot run as the portal even if opened from the browser's downloads."""
    invoice_id = _invoice_id(invoice_id)
    invoice = await _invoice(browser, invoice_id)
    try:
        document = await browser.upstream.billing.document(f"/invoices/{invoice_id}.html", browser.token)
    except UpstreamProblem as problem:
        if problem.not_found:
            raise PageNotFound() from None
        raise
    filename = FILENAME_UNSAFE.sub("_", str(invoice.get("number") or invoice_id)) + ".html"
    return Response(
        document.content,
        media_type="text/html; charset=utf-8",
        headers={
            "Content-Disposition": f'attachment; filename="{filename}"',
            "Content-Security-Policy": "sandbox",
        },
    )
