"""Forgotten password and the person's profile (R1; the language of the pages and e-mails).

- `/password-reset`: the e-mail form; sending it asks identity for a link
  (`POST /password-resets`, with the browser's address for identity's per-client limit) and
  always says the same thing, whether or not the address has an account.
- `/password-reset?token=...` (the e-mailed link): the new-password form; sending it sets the
  password at identity (`POST /password-resets/completion`, with the Idempotency-Key minted
  with the form), which ends every session of the person; then a page leading to sign-in.
- `/profile`: name, e-mail (read-only) and language from identity (`GET /me`); saving sends
  `PATCH /me` and keeps the language in the portal session too, so the pages follow at once.
- `/profile` also lists where the person is signed in (R42: identity `GET /me/sign-ins`, their
  own only) with "Sign out there" on each (`DELETE /me/sign-ins/{id}`, with the key its form
  was rendered with); ending the sign-in of this browser signs the browser out too.

The reset token is in the link's URL by necessity: like every page, these are sent with
`Referrer-Policy: no-referrer` and `Cache-Control: no-store` (`portal.api.errors`).
"""

from __future__ import annotations

import re
from typing import Any

from fastapi import APIRouter
from fastapi.responses import Response

from contracts.errors import RuleViolation
from portal.adapters.i18n import LOCALES, supported
from portal.adapters.rendering import N_, PROBLEMS
from portal.adapters.upstream import UpstreamProblem
from portal.api.deps import Browser, BrowserDep, new_key, valid_id
from portal.api.forms import idempotency_key, key_or_new, shown
from servicekit.http.auth import verify_token

router = APIRouter(tags=["pages"], include_in_schema=False)

TOKEN = re.compile(r"[A-Za-z0-9_-]{1,200}")
MAX_EMAIL, MAX_NAME, MAX_PASSWORD = 254, 200, 1000

# What the portal refuses itself, before asking identity.
PASSWORDS_DIFFER = N_("The two passwords are not the same.")
EMAIL_REQUIRED = N_("Enter your e-mail address.")
NAME_REQUIRED = N_("Enter your name.")
PASSWORD_TOO_LONG = N_("This password is too long.")


# -- forgotten password -----------------------------------------------------------------------


@router.get("/password-reset")
async def password_reset_page(browser: BrowserDep, token: str = "") -> Response:
    if token:
        return await _new_password_form(browser, token)
    return await browser.render("passwords/ask.html", email="", problem=None, notice=None)


@router.post("/password-reset")
async def ask_for_link(browser: BrowserDep) -> Response:
    """Identity answers alike for any address; so does this page. Only a refusal that tells
    nothing about the address (too many requests from here, not an e-mail) is shown."""
    form = await browser.form()
    email = str(form.get("email", "")).strip()[: MAX_EMAIL + 1]
    if not email or len(email) > MAX_EMAIL:
        return await browser.render(
            "passwords/ask.html", status_code=422, email=email[:MAX_EMAIL], problem=None, notice=EMAIL_REQUIRED
        )
    try:
        await browser.upstream.identity.command(
            "POST", "/password-resets", None, new_key(), {"email": email}, client_address=browser.client_address
        )
    except UpstreamProblem as problem:
        if problem.status >= 500:
            raise
        return await browser.render(
            "passwords/ask.html", status_code=problem.status, email=email, problem=problem, notice=None
        )
    return await browser.render("passwords/sent.html", email=email)


async def _new_password_form(
    browser: BrowserDep, token: str, status_code: int = 200, problem: UpstreamProblem | None = None, **context: Any
) -> Response:
    if not TOKEN.fullmatch(token):
        notice: str | None = PROBLEMS["reset_link_not_found"]
        return await browser.render(
            "passwords/choose.html", status_code=404, token="", key="", problem=None, notice=notice
        )
    notice = context.pop("notice", None)
    return await browser.render(
        "passwords/choose.html",
        status_code=status_code,
        token=token,
        key=context.pop("key", None) or new_key(),
        problem=problem,
        notice=notice,
    )


@router.post("/password-reset/new")
async def choose_password(browser: BrowserDep) -> Response:
    """The new password, with the key minted with the form: a double submit is one change. A
    refused password gives the form again with a new key (the next try is another command)."""
    form = await browser.form()
    token = str(form.get("token", ""))
    key = key_or_new(form)
    password, again = str(form.get("password", "")), str(form.get("password_again", ""))
    if not TOKEN.fullmatch(token):
        return await _new_password_form(browser, "")
    if len(password) > MAX_PASSWORD:
        return await _new_password_form(browser, token, 422, notice=PASSWORD_TOO_LONG, key=key)
    if password != again:
        return await _new_password_form(browser, token, 422, notice=PASSWORDS_DIFFER, key=key)
    try:
        await browser.upstream.identity.command(
            "POST",
            "/password-resets/completion",
            None,
            key,
            {"token": token, "password": password},
            client_address=browser.client_address,
        )
    except UpstreamProblem as problem:
        if problem.status >= 500:
            raise
        return await _new_password_form(browser, token, problem.status, problem)
    return browser.redirect("/password-reset/done")


@router.get("/password-reset/done")
async def password_changed(browser: BrowserDep) -> Response:
    return await browser.render("passwords/done.html")


# -- profile ----------------------------------------------------------------------------------


@router.get("/profile")
async def profile_page(browser: BrowserDep, saved: str = "", signed_out: str = "") -> Response:
    me = (await browser.upstream.identity.get("/me", browser.token)).body
    values = {"name": me["name"], "locale": supported(me["locale"]) or browser.locale}
    return await _profile(
        browser,
        me=me,
        values=values,
        key=new_key(),
        saved=saved == "1",
        signed_out=signed_out == "1",
        problem=None,
        notice=None,
    )


@router.post("/profile")
async def save_profile(browser: BrowserDep) -> Response:
    """Identity's `PATCH /me` (the language of e-mails and of the next tokens), then the portal
    session's language (the pages', at once)."""
    form = await browser.form()
    token = browser.token
    name = str(form.get("name", "")).strip()
    locale = supported(str(form.get("locale", ""))) or ""
    key = key_or_new(form)
    values = {"name": name[:MAX_NAME], "locale": locale or browser.locale}
    notice = NAME_REQUIRED if not name else None
    if len(name) > MAX_NAME or locale not in LOCALES:
        notice = N_("Some fields are not valid. Check them and try again.")
    if notice is None:
        try:
            await browser.upstream.identity.command("PATCH", "/me", token, key, {"name": name, "locale": locale})
        except UpstreamProblem as problem:
            if not shown(problem):
                raise
            me = (await browser.upstream.identity.get("/me", token)).body
            return await _profile(
                browser,
                status_code=problem.status,
                me=me,
                values=values,
                key=new_key(),
                saved=False,
                problem=problem,
                notice=None,
            )
        await browser.set_locale(locale)
        return browser.redirect("/profile?saved=1")
    me = (await browser.upstream.identity.get("/me", token)).body
    return await _profile(
        browser, status_code=422, me=me, values=values, key=key, saved=False, problem=None, notice=notice
    )


async def _profile(browser: Browser, status_code: int = 200, **context: Any) -> Response:
    """The profile page with the list of where the person is signed in (R42). Identity not
    answering that list leaves the rest of the page usable: the section says so."""
    sign_ins: list[dict[str, Any]] | None
    try:
        found = await browser.upstream.identity.get_all("/me/sign-ins", browser.token)
    except UpstreamProblem as problem:
        if problem.unauthenticated:
            raise
        sign_ins = None
    else:
        sign_ins = [{**s, "end_key": new_key()} for s in found]
    context.setdefault("signed_out", False)
    return await browser.render("profile/profile.html", status_code=status_code, sign_ins=sign_ins, **context)


# -- where you are signed in (R42) -------------------------------------------------------------


@router.post("/profile/sign-ins/{sign_in_id}/sign-out")
async def sign_out_there(sign_in_id: str, browser: BrowserDep) -> Response:
    """Identity's `DELETE /me/sign-ins/{id}`: that sign-in's tokens stop working everywhere (a
    floating seat it held goes back to the pool). One that identity does not know as the
    caller's (ended meanwhile, or never theirs) changes nothing: back to the list, where it is
    not. Ending this browser's own sign-in ends the portal session too."""
    sign_in_id = valid_id(sign_in_id)
    form = await browser.form()
    token = browser.token
    key = idempotency_key(form)
    this_browser = _session_of(browser, token)
    try:
        await browser.upstream.identity.command("DELETE", f"/me/sign-ins/{sign_in_id}", token, key)
    except UpstreamProblem as problem:
        if not problem.not_found:
            raise
        return browser.redirect("/profile")
    if sign_in_id == this_browser:
        await browser.end_session()
        return browser.redirect("/sign-in")
    return browser.redirect("/profile?signed_out=1")


def _session_of(browser: Browser, token: str) -> str | None:
    """The sign-in (the `sid`) this browser's token belongs to; none for a token past its time
    (identity then refuses the call anyway, and the page signs the browser out)."""
    try:
        return verify_token(browser.runtime.authenticator.keys, token, browser.now()).session_id
    except RuleViolation:
        return None
