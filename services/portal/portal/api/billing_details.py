"""The company's billing details (issue 15, item 1): the legal name, billing address, VAT number
and invoicing e-mail its invoices name. Every member of the company reads them; its
administrators change them here. What is typed is checked here first (filled in, one line, not
too long, an e-mail address); identity checks the country and the VAT number (python-stdnum,
for the address's country) and its refusals are shown next to their field.

Upstream calls, all to identity with the person's token:
- `GET /accounts/{id}` (the company's name, proposed as the legal name while none is set),
  `GET /accounts/{id}/contacts` (whether the person administers the company) and
  `GET /accounts/{id}/billing-details` (404 while none are set);
- `PUT /accounts/{id}/billing-details` with the form's Idempotency-Key.
"""

from __future__ import annotations

import asyncio
from typing import Any

from babel import Locale
from fastapi import APIRouter
from fastapi.responses import Response

from portal.adapters.rendering import FIELD_PROBLEMS, N_
from portal.adapters.upstream import UpstreamProblem
from portal.api.deps import Browser, BrowserDep, new_key
from portal.api.forms import checked_fields, ensure_shown, idempotency_key, valid_email

router = APIRouter(tags=["pages"], include_in_schema=False)

PAGE = "/company/billing-details"

# The form's fields: name → (required, longest accepted), identity's bounds.
FIELDS: dict[str, tuple[bool, int]] = {
    "legal_name": (True, 200),
    "line1": (True, 200),
    "line2": (False, 200),
    "postcode": (False, 20),
    "city": (True, 100),
    "country": (True, 100),
    "vat_number": (False, 32),
    "invoicing_email": (False, 254),
}
ADDRESS = ("line1", "line2", "postcode", "city", "country")

# identity's refusals of a field, shown next to it.
FIELD_OF = {"unknown_country": "country", "invalid_vat_number": "vat_number"}
PROBLEMS = {
    "country": N_("Give the country as its two-letter code, such as FR, BE, NL or DE."),
    "vat_number": N_(
        "This VAT number is not valid for the country of the address. Check it, with its country prefix, "
        "such as FR40303265045, or leave it empty."
    ),
    "not_an_administrator": N_("Only an administrator of the company can change its billing details."),
}


def typed_from(details: dict[str, Any] | None, company_name: str) -> dict[str, str]:
    """The form's values from identity's details (or the company's name alone, while none are set)."""
    if details is None:
        return {name: "" for name in FIELDS} | {"legal_name": company_name}
    address = details.get("address") or {}
    values = {name: address.get(name) if name in ADDRESS else details.get(name) for name in FIELDS}
    return {name: str(value or "") for name, value in values.items()}


def checked_form(form: Any) -> tuple[dict[str, str], dict[str, str]]:
    """What was typed (each cut at its bound, to show again), and what is wrong with it."""
    typed, errors = checked_fields(form, FIELDS)
    if typed["invoicing_email"] and "invoicing_email" not in errors and not valid_email(typed["invoicing_email"]):
        errors["invoicing_email"] = FIELD_PROBLEMS["email"]
    return typed, errors


def body_of(typed: dict[str, str]) -> dict[str, Any]:
    """As identity takes it (`AccountBillingDetails`' shape); empty optional fields are absent."""
    return {
        "legal_name": typed["legal_name"],
        "address": {name: typed[name] or None for name in ADDRESS} | {"postcode": typed["postcode"]},
        "vat_number": typed["vat_number"] or None,
        "invoicing_email": typed["invoicing_email"] or None,
    }


@router.get(PAGE)
async def billing_details_page(browser: BrowserDep, saved: str | None = None) -> Response:
    return await _page(browser, saved=saved == "1")


async def _page(
    browser: Browser,
    *,
    saved: bool = False,
    typed: dict[str, str] | None = None,
    errors: dict[str, str] | None = None,
    problem: UpstreamProblem | None = None,
    refused: str | None = None,
    status_code: int = 200,
) -> Response:
    account_id, token = browser.account_id, browser.token
    account, contacts, details = await asyncio.gather(
        browser.upstream.identity.get(f"/accounts/{account_id}", token),
        browser.upstream.identity.get_all(f"/accounts/{account_id}/contacts", token),
        _details(browser, account_id),
    )
    me = browser.signed_in().person_id
    administrator = any(c["person_id"] == me and c["role"] == "administrator" for c in contacts)
    return await browser.render(
        "company/billing_details.html",
        status_code=status_code,
        account=account.body,
        details=details,
        administrator=administrator,
        saved=saved,
        typed=typed or typed_from(details, account.body["company_name"]),
        errors=errors or {},
        field_problems=PROBLEMS,
        problem=problem,
        refused=refused,
        country_names=Locale.parse(browser.locale).territories,  # CLDR's, in the page's language
        key=new_key(),
    )


async def _details(browser: Browser, account_id: str) -> dict[str, Any] | None:
    try:
        return dict(
            (await browser.upstream.identity.get(f"/accounts/{account_id}/billing-details", browser.token)).body
        )
    except UpstreamProblem as problem:
        if problem.code == "billing_details_not_found":
            return None  # none set yet: the form proposes the company's name
        raise


@router.post(PAGE)
async def change_billing_details(browser: BrowserDep) -> Response:
    """Issue 15: identity keeps them and tells billing; the same details again change nothing."""
    form = await browser.form()
    key = idempotency_key(form)
    typed, errors = checked_form(form)
    if errors:
        return await _page(browser, typed=typed, errors=errors, status_code=422)
    try:
        await browser.upstream.identity.command(
            "PUT", f"/accounts/{browser.account_id}/billing-details", browser.token, key, body_of(typed)
        )
    except UpstreamProblem as problem:
        if problem.code in FIELD_OF:  # the country or the VAT number: said next to the field
            field = FIELD_OF[problem.code]
            return await _page(browser, typed=typed, errors={field: PROBLEMS[field]}, status_code=problem.status)
        if problem.code == "not_an_administrator":  # the page is a member's to read: said on it
            return await _page(browser, typed=typed, refused=PROBLEMS[problem.code], status_code=problem.status)
        ensure_shown(problem)
        return await _page(browser, typed=typed, problem=problem, status_code=problem.status)
    return browser.redirect(f"{PAGE}?saved=1")
