"""The company's SEPA Direct Debit mandate (issue 15, item 5): the one billing collects the
company's invoices under, shown with its IBAN masked, given or replaced, and revoked. billing
lets only an administrator of one of the company's subscriptions read or change it (R6); anyone
else of the company is told so on the page (403), as the invoices' list does. What is typed is
checked here first (filled in, one line, not too long, a date); billing checks the IBAN, the BIC,
the reference and the date of signature, and each of its refusals is shown next to its field.

Upstream calls, all to billing with the person's token:
- `GET /accounts/{id}/sepa-mandate` (the IBAN masked but for its last 4 characters; 404
  `sepa_mandate_not_found` while none is active);
- `PUT /accounts/{id}/sepa-mandate` with the form's Idempotency-Key;
- `DELETE /accounts/{id}/sepa-mandate` (revoke) with the revoke form's Idempotency-Key.
"""

from __future__ import annotations

from datetime import date
from typing import Any

from fastapi import APIRouter
from fastapi.responses import Response

from portal.adapters.rendering import FIELD_PROBLEMS, N_, PROBLEMS
from portal.adapters.upstream import UpstreamProblem
from portal.api.deps import Browser, BrowserDep, new_key
from portal.api.forms import checked_fields, ensure_shown, idempotency_key

router = APIRouter(tags=["pages"], include_in_schema=False)

PAGE = "/company/direct-debit"
REVOKE = f"{PAGE}/revoke"

# The form's fields: name → (required, longest accepted). The bounds are billing's: the debtor's
# name as pain.008 carries it (70), an IBAN typed with its spaces (64), a BIC (35, billing
# says whether it is one), a mandate reference by the EPC's rules (35), an ISO date.
FIELDS: dict[str, tuple[bool, int]] = {
    "debtor_name": (True, 70),
    "iban": (True, 64),
    "bic": (False, 35),
    "mandate_reference": (False, 35),
    "signed_on": (True, 10),
}

# billing's refusals of a field (422, and 409 for a reference already used), shown next to it
# and worded in rendering.PROBLEMS.
FIELD_OF = {
    "debtor_name_invalid": "debtor_name",
    "iban_invalid": "iban",
    "iban_not_sepa": "iban",
    "bic_invalid": "bic",
    "mandate_reference_invalid": "mandate_reference",
    "mandate_reference_taken": "mandate_reference",
    "signed_in_future": "signed_on",
}
# billing refusing the page itself: the page exists, it is just not for this person (R6).
NOT_AN_ADMINISTRATOR = N_(
    "Only an administrator of one of the company's subscriptions can read or give its direct-debit mandate. "
    "Ask one of them."
)


def _mandate_path(account_id: str) -> str:
    return f"/accounts/{account_id}/sepa-mandate"


def checked_form(form: Any) -> tuple[dict[str, str], dict[str, str]]:
    """What was typed (each cut at its bound, to show again), and what is wrong with it."""
    typed, errors = checked_fields(form, FIELDS)
    if typed["signed_on"] and "signed_on" not in errors and not _is_date(typed["signed_on"]):
        errors["signed_on"] = FIELD_PROBLEMS["date"]
    return typed, errors


def _is_date(value: str) -> bool:
    try:
        date.fromisoformat(value)
    except ValueError:
        return False
    return True


def body_of(typed: dict[str, str]) -> dict[str, Any]:
    """As billing takes it (`MandateBody`); an empty BIC or reference is absent: billing derives
    the BIC from the IBAN when it knows the bank, and makes a reference."""
    return {
        "debtor_name": typed["debtor_name"],
        "iban": typed["iban"],
        "bic": typed["bic"] or None,
        "mandate_reference": typed["mandate_reference"] or None,
        "signed_on": typed["signed_on"],
    }


@router.get(PAGE)
async def direct_debit_page(browser: BrowserDep, saved: str | None = None, revoked: str | None = None) -> Response:
    return await _page(browser, saved=saved == "1", revoked=revoked == "1")


async def _page(
    browser: Browser,
    *,
    saved: bool = False,
    revoked: bool = False,
    typed: dict[str, str] | None = None,
    errors: dict[str, str] | None = None,
    problem: UpstreamProblem | None = None,
    status_code: int = 200,
) -> Response:
    try:
        mandate = await _mandate(browser)
    except UpstreamProblem as refused:
        if refused.code != "not_an_administrator":
            raise
        return await _refused(browser)
    return await browser.render(
        "company/direct_debit.html",
        status_code=status_code,
        mandate=mandate,
        refused=None,
        saved=saved,
        revoked=revoked,
        typed=typed or {name: "" for name in FIELDS},
        errors=errors or {},
        problem=problem,
        key=new_key(),
        revoke_key=new_key(),
    )


async def _refused(browser: Browser) -> Response:
    """R6: a person of the company who administers none of its subscriptions (billing's 403)."""
    return await browser.render(
        "company/direct_debit.html",
        status_code=403,
        mandate=None,
        refused=NOT_AN_ADMINISTRATOR,
        saved=False,
        revoked=False,
        typed={name: "" for name in FIELDS},
        errors={},
        problem=None,
        key="",
        revoke_key="",
    )


async def _mandate(browser: Browser) -> dict[str, Any] | None:
    try:
        return dict((await browser.upstream.billing.get(_mandate_path(browser.account_id), browser.token)).body)
    except UpstreamProblem as problem:
        if problem.code == "sepa_mandate_not_found":
            return None  # none given, or the last one revoked
        raise


@router.post(PAGE)
async def give_mandate(browser: BrowserDep) -> Response:
    """Issue 15: billing keeps it and collects each invoice under it on its due date; the same
    mandate again changes nothing, another replaces the active one."""
    form = await browser.form()
    key = idempotency_key(form)
    typed, errors = checked_form(form)
    if errors:
        return await _page(browser, typed=typed, errors=errors, status_code=422)
    try:
        await browser.upstream.billing.command(
            "PUT", _mandate_path(browser.account_id), browser.token, key, body_of(typed)
        )
    except UpstreamProblem as problem:
        if problem.code in FIELD_OF:  # said next to the field it is about
            field = FIELD_OF[problem.code]
            return await _page(browser, typed=typed, errors={field: PROBLEMS[problem.code]}, status_code=problem.status)
        if problem.code == "not_an_administrator":
            return await _refused(browser)
        ensure_shown(problem)
        return await _page(browser, typed=typed, problem=problem, status_code=problem.status)
    return browser.redirect(f"{PAGE}?saved=1")


@router.post(REVOKE)
async def revoke_mandate(browser: BrowserDep) -> Response:
    """Issue 15: nothing more is collected under it; a mandate given later starts again with a
    first collection. Already revoked (another tab) is said on the page."""
    form = await browser.form()
    key = idempotency_key(form)
    try:
        await browser.upstream.billing.command("DELETE", _mandate_path(browser.account_id), browser.token, key)
    except UpstreamProblem as problem:
        if problem.code == "not_an_administrator":
            return await _refused(browser)
        if problem.code != "sepa_mandate_not_found":
            ensure_shown(problem)
        return await _page(browser, problem=problem, status_code=409 if problem.not_found else problem.status)
    return browser.redirect(f"{PAGE}?revoked=1")
