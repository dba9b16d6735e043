"""The company the person acts for: its account and verification status (R3), its contacts
and "Add a colleague" (R4; contacts are never deleted, R5), the e-mail history (R33), and
switching to another company the person belongs to (R2).

Upstream calls:
- identity `GET /accounts/{id}` and `GET /accounts/{id}/contacts` (the account the token acts
  for; any other answers 404), `POST /accounts/{id}/contacts` with the form's Idempotency-Key;
- identity `GET /me/accounts` and `POST /tokens/switch`: the new token replaces the portal
  session (`Browser.sign_in`), so every later page acts for the new company (R2);
- notifications `GET /deliveries` (the caller's own e-mails) and `GET /deliveries?recipient=`
  per contact of the company: notifications answers only what the caller may read (R2, R6),
  so the history is what the administrator of the company's subscriptions may see.
"""

from __future__ import annotations

import asyncio
from typing import Any

from fastapi import APIRouter
from fastapi.responses import Response

from portal.adapters.i18n import LOCALES
from portal.adapters.rendering import FIELD_PROBLEMS
from portal.adapters.upstream import UpstreamProblem
from portal.api.deps import BrowserDep, new_key, valid_id
from portal.api.forms import idempotency_key, shown, valid_email

router = APIRouter(tags=["pages"], include_in_schema=False)

MAX_EMAIL = 254
MAX_NAME = 100
# notifications answers one recipient per request: the history asks for this many contacts
# at most, a few at a time.

# identity's refusals of adding a colleague that the page shows even when they are a 403:
# the page itself is theirs to see (worded in rendering.PROBLEMS).
SHOWN_ON_THE_PAGE = ("contact_exists", "contact_details_missing", "not_an_administrator", "not_a_member", "no_account")


# -- the company and its contacts (R3, R4, R5) -------------------------------------------------


@router.get("/company")
async def company_page(browser: BrowserDep, added: str | None = None) -> Response:
    return await _company(browser, added=added == "1")


async def _company(
    browser: BrowserDep,
    *,
    added: bool = False,
    typed: dict[str, str] | None = None,
    errors: dict[str, str] | None = None,
    problem: UpstreamProblem | None = None,
    status_code: int = 200,
) -> Response:
    account_id = browser.account_id
    token = browser.token
    account, contacts = await asyncio.gather(
        browser.upstream.identity.get(f"/accounts/{account_id}", token),
        browser.upstream.identity.get_all(f"/accounts/{account_id}/contacts", token),
    )
    me = browser.signed_in().person_id
    administrator = any(c["person_id"] == me and c["role"] == "administrator" for c in contacts)
    return await browser.render(
        "company/company.html",
        status_code=status_code,
        account=account.body,
        contacts=contacts,
        administrator=administrator,
        added=added,
        typed=typed or {"email": "", "first_name": "", "last_name": "", "locale": browser.locale},
        errors=errors or {},
        problem=problem,
        key=new_key(),
    )


def _contact_form(form: Any) -> tuple[dict[str, str], dict[str, str]]:
    """What was typed, and what is wrong with it (checked here first: identity checks again)."""
    typed = {name: str(form.get(name, "")).strip() for name in ("email", "first_name", "last_name", "locale")}
    errors = {}
    if not valid_email(typed["email"], MAX_EMAIL):
        errors["email"] = FIELD_PROBLEMS["contact_email"]
    for name in ("first_name", "last_name"):
        if not typed[name] or len(typed[name]) > MAX_NAME:
            errors[name] = FIELD_PROBLEMS[name]
    if typed["locale"] not in LOCALES:
        errors["locale"] = FIELD_PROBLEMS["locale"]
    for name, value in typed.items():  # kept to show again, but never more than a field holds
        typed[name] = value[: MAX_EMAIL if name == "email" else MAX_NAME]
    return typed, errors


@router.post("/company/contacts")
async def add_colleague(browser: BrowserDep) -> Response:
    """R4: identity links a registered e-mail at once, or creates the contact and invites them."""
    form = await browser.form()
    account_id = browser.account_id
    key = idempotency_key(form)
    typed, errors = _contact_form(form)
    if errors:
        return await _company(browser, typed=typed, errors=errors, status_code=422)
    try:
        await browser.upstream.identity.command(
            "POST",
            f"/accounts/{account_id}/contacts",
            browser.token,
            key,
            {name: typed[name] for name in ("email", "first_name", "last_name", "locale")},
        )
    except UpstreamProblem as problem:
        # A member who is not an administrator is refused 403: said on the page, as the page
        # itself is theirs to see.
        if problem.code not in SHOWN_ON_THE_PAGE and not shown(problem):
            raise
        return await _company(browser, typed=typed, problem=problem, status_code=problem.status)
    return browser.redirect("/company?added=1")


# -- the e-mail history (R33) ------------------------------------------------------------------


@router.get("/company/emails")
async def email_history(browser: BrowserDep) -> Response:
    account_id = browser.account_id
    token = browser.token
    # Two reads at once: every e-mail the person may read (their own, and those about what they
    # administer: notifications decides, R6), and the contacts that name the recipients.
    contacts, found = await asyncio.gather(
        browser.upstream.identity.get_all(f"/accounts/{account_id}/contacts", token),
        browser.upstream.notifications.get_all("/deliveries", token, params={"scope": "all"}),
    )
    me = browser.signed_in().person_id
    # Until they register, a contact's own id stands in for their person id (identity's Contact).
    names = {c["person_id"] or c["contact_id"]: c for c in contacts}
    seen = {email["email_id"]: email for email in found}
    emails = sorted(seen.values(), key=_when, reverse=True)
    return await browser.render("company/emails.html", emails=emails, names=names, me=me)


def _when(email: dict[str, Any]) -> str:
    return str(email.get("sent_at") or email.get("rejected_at") or email.get("next_attempt_at") or "")


# -- switching company (R2) ---------------------------------------------------------------------


async def _switch(browser: BrowserDep, problem: UpstreamProblem | None = None, status_code: int = 200) -> Response:
    accounts = await browser.upstream.identity.get_all("/me/accounts", browser.token)
    return await browser.render(
        "company/switch.html",
        status_code=status_code,
        accounts=accounts,
        key=new_key(),
        problem=problem,
    )


@router.get("/company/switch")
async def switch_page(browser: BrowserDep) -> Response:
    return await _switch(browser)


@router.post("/company/switch")
async def switch_company(browser: BrowserDep) -> Response:
    """identity issues a token for the chosen company; the portal session is replaced by one
    holding it, so nothing of the previous company is shown any more (R2)."""
    form = await browser.form()
    token = browser.token
    key = idempotency_key(form)
    account_id = valid_id(str(form.get("account_id", "")))
    try:
        answer = await browser.upstream.identity.command(
            "POST", "/tokens/switch", token, key, {"account_id": account_id}
        )
    except UpstreamProblem as problem:
        # Not (or no longer) a member of that company: said on the page listing the others.
        if problem.unauthenticated or problem.status >= 500:
            raise
        return await _switch(browser, problem=problem, status_code=problem.status)
    await browser.sign_in(answer.body["access_token"], int(answer.body["expires_in"]))
    return browser.redirect("/company")
