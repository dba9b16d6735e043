"""Invoices (R31, R32, issue 15): the company's list, a subscription's list, one invoice
viewable in the page, and billing's PDF and e-invoice downloadable.

Every amount is billing's own, in integer minor units (R32): the page formats them per
locale and adds nothing up itself; net, one VAT row per rate and the total payable are
billing's. The PO number is the one billing printed on the invoice when it was issued (R31).
What an older billing leaves out (VAT, due date, seller and buyer, payment reference, payment
state) is left out of the page, never made up.

Upstream calls:
- billing `GET /invoices?limit=&cursor=` (one page of summaries, newest first), and for a
  subscription's list `GET /invoices/{id}` per invoice looked at, for its lines;
- subscriptions `GET /subscriptions/{id}` for a subscription's list (not yours → not found);
- billing `GET /invoices/{id}.pdf` (the PDF, its Factur-X data inside) and
  `GET /invoices/{id}/e-invoice?syntax=ubl` (EN 16931 UBL) for the downloads: billing's own
  files, sent on as attachments, at most `MAX_DOCUMENT_BYTES`, never rendered in the pages.

An invoice that is unknown, another company's, or of a company the person administers nothing
of is the same not-found page (billing answers 404 for all of them, R6).
"""

from __future__ import annotations

import asyncio
import re
from collections.abc import Iterable
from typing import Any

from babel import Locale
from fastapi import APIRouter
from fastapi.responses import Response

from portal.adapters.rendering import N_, PROBLEMS
from portal.adapters.upstream import Answer, UpstreamProblem
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
# A one-page invoice PDF is about 100 KB and its XML a few KB: anything past this is not an
# invoice, and is not held in the portal's memory to find out.
MAX_DOCUMENT_BYTES = 10 * 2**20
ADDRESS = ("line1", "line2", "postcode", "city", "country")  # contracts.parties.PostalAddress
# billing's payment states (issue 15); one the portal does not know yet is not shown.
STATES = frozenset({"open", "partially_paid", "paid", "overdue", "void", "uncollectible"})
# Said under a VAT row charging none, by EN 16931 category, in the person's language (the
# same wording as billing's document); billing's own `mention`, if any, for any other.
VAT_MENTIONS = {
    "AE": N_("Reverse charge — Article 196 of Council Directive 2006/112/EC"),
    "O": N_("Not subject to VAT — Article 44 of Council Directive 2006/112/EC"),
}
NOT_AN_E_INVOICE = N_(
    "This invoice was issued before invoices carried the seller and the VAT, so it has no e-invoice. "
    "Download it as a PDF instead."
)

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
    """One invoice as the pages show it: billing's fields, each the pages read present (None
    where an older billing sends none), plus the period its lines cover and the subscriptions
    they are for."""
    lines = [{"vat_rate": None, "vat": None, **line} for line in invoice.get("lines") or []]
    starts = [line["period_start"] for line in lines]
    ends = [line["period_end"] for line in lines]
    state = invoice.get("state")
    seller = _party(invoice.get("seller"))
    pay_to = invoice.get("pay_to") or {}  # billing's bank account for a transfer (none on a credit note)
    if seller and pay_to.get("iban"):
        seller |= {"iban": _grouped(pay_to["iban"]), "bic": pay_to.get("bic")}
    return {
        **invoice,
        "due_on": invoice.get("due_on"),
        "net_total": invoice.get("net_total"),
        "vat": [_vat_row(row) for row in invoice.get("vat") or []],
        "payment_reference": _grouped(invoice.get("payment_reference")),
        "seller": seller,
        "buyer": _party(invoice.get("buyer")),
        "corrects": invoice.get("corrects"),
        "state": state if state in STATES else None,
        "paid": invoice.get("paid"),
        "open_amount": invoice.get("open_amount"),
        "lines": lines,
        "with_vat_rates": any(line["vat_rate"] is not None for line in lines),
        # billing of issue 15 (it sends `net_total`) has an e-invoice for every invoice issued
        # with a seller; the ones before answer 409, so no link is offered for them.
        "e_invoice": "net_total" in invoice and seller is not None,
        "period_start": min(starts) if starts else None,
        "period_end": max(ends) if ends else None,
        "subscription_ids": sorted({line["subscription_id"] for line in lines}),
    }


def _party(party: dict[str, Any] | None) -> dict[str, Any] | None:
    if not party:
        return None
    address = party.get("address")
    return {
        "legal_name": party.get("legal_name"),
        "address": {key: address.get(key) or "" for key in ADDRESS} if address else None,
        "vat_number": party.get("vat_number"),
        "iban": None,  # from billing's `pay_to`, not the party block (see _row)
        "bic": None,
    }


def _vat_row(row: dict[str, Any]) -> dict[str, Any]:
    category = str(row.get("category") or "")
    return {
        "category": category,
        "rate": row.get("rate") or "0",
        "taxable": row.get("taxable"),
        "tax": row.get("tax") or row.get("amount"),  # billing's VatSubtotalView names it `tax`
        "mention": VAT_MENTIONS.get(category),
        "billing_mention": row.get("mention"),
    }


def _grouped(code: str | None) -> str | None:
    """An IBAN or an RF reference as it is printed to be copied: groups of four."""
    if not code:
        return None
    compact = re.sub(r"\s", "", str(code))
    return " ".join(compact[i : i + 4] for i in range(0, len(compact), 4))


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
    # The list shows what the summaries hold (number, dates, total, state): no invoice is read.
    rows = [_row(summary) for summary in answer.body]
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
    return await _page(browser, await _invoice(browser, _invoice_id(invoice_id)))


async def _page(
    browser: BrowserDep, invoice: dict[str, Any], status_code: int = 200, notice: str | None = None
) -> Response:
    return await browser.render(
        "invoices/invoice.html",
        status_code=status_code,
        invoice=_row(invoice),
        notice=notice,
        not_an_e_invoice=NOT_AN_E_INVOICE,
        country_names=Locale.parse(browser.locale).territories,  # CLDR's, in the page's language
    )


@router.get("/invoices/{invoice_id}/download")
async def download(invoice_id: str, browser: BrowserDep) -> Response:
    """billing's PDF, its EN 16931 data embedded (Factur-X), as `<number>.pdf` to save."""
    invoice_id = _invoice_id(invoice_id)
    invoice = await _invoice(browser, invoice_id)
    answer = await _document(browser, f"/invoices/{invoice_id}.pdf")
    if not answer.content.startswith(b"%PDF-"):
        raise UpstreamProblem("billing", 502, "unavailable", "billing's answer is not a PDF.")
    return _attachment(answer, "application/pdf", _filename(invoice, invoice_id, "pdf"))


@router.get("/invoices/{invoice_id}/e-invoice")
async def e_invoice(invoice_id: str, browser: BrowserDep) -> Response:
    """The invoice as an EN 16931 e-invoice in UBL, as `<number>.xml` to save or hand to an
    accounting system. An invoice issued before e-invoices is its page, saying so (409)."""
    invoice_id = _invoice_id(invoice_id)
    invoice = await _invoice(browser, invoice_id)
    try:
        answer = await _document(browser, f"/invoices/{invoice_id}/e-invoice", {"syntax": "ubl"})
    except UpstreamProblem as problem:
        if problem.code != "not_an_e_invoice":
            raise
        return await _page(browser, invoice, status_code=409, notice=NOT_AN_E_INVOICE)
    if not answer.content.lstrip(b"\xef\xbb\xbf \t\r\n").startswith(b"<"):
        raise UpstreamProblem("billing", 502, "unavailable", "billing's answer is not XML.")
    return _attachment(answer, "application/xml", _filename(invoice, invoice_id, "xml"))


async def _document(browser: BrowserDep, path: str, params: dict[str, str | int] | None = None) -> Answer:
    try:
        return await browser.upstream.billing.document(path, browser.token, params, max_bytes=MAX_DOCUMENT_BYTES)
    except UpstreamProblem as problem:
        if problem.not_found:
            raise PageNotFound() from None
        raise


def _filename(invoice: dict[str, Any], invoice_id: str, extension: str) -> str:
    return FILENAME_UNSAFE.sub("_", str(invoice.get("number") or invoice_id))[:100] + "." + extension


def _attachment(answer: Answer, media_type: str, filename: str) -> Response:
    """billing's file to save, never to render as the portal: an attachment under the portal's
    own type and name (`nosniff` is on every answer, portal.api.errors), sandboxed should a
    browser open it anyway."""
    return Response(
        answer.content,
        media_type=media_type,
        headers={"Content-Disposition": f'attachment; filename="{filename}"', "Content-Security-Policy": "sandbox"},
    )
