"""Sign up (an account and its administrator, the terms accepted: identity's `POST /accounts`)
and the landing page of the verification e-mail's link (`/verifications?token=...`), which
completes the verification at identity (R1, R3)."""

from __future__ import annotations

import hashlib
import re

from fastapi import APIRouter
from fastapi.responses import Response

from portal.adapters.upstream import UpstreamProblem
from portal.api.deps import BrowserDep, new_key
from portal.api.forms import key_or_new

router = APIRouter(tags=["pages"], include_in_schema=False)

TOKEN = re.compile(r"[A-Za-z0-9_-]{1,200}")
FIELDS = ("company_name", "name", "email")


@router.get("/sign-up")
async def sign_up_page(browser: BrowserDep) -> Response:
    return await browser.render("sign_up.html", values=dict.fromkeys(FIELDS, ""), key=new_key(), problem=None)


@router.post("/sign-up")
async def sign_up(browser: BrowserDep) -> Response:
    form = await browser.form()
    values = {name: str(form.get(name, "")).strip() for name in FIELDS}
    key = key_or_new(form)
    body = {
        **values,
        "password": str(form.get("password", "")),
        "locale": browser.locale,
        "accept_terms": form.get("accept_terms") == "yes",
    }
    try:
        await browser.upstream.identity.command(
            "POST", "/accounts", None, key, body, client_address=browser.client_address
        )
    except UpstreamProblem as problem:
        if problem.status >= 500:
            raise
        # The same form again, with a new key: what is sent next is another request.
        return await browser.render(
            "sign_up.html", status_code=problem.status, values=values, key=new_key(), problem=problem
        )
    return await browser.render("signed_up.html", email=values["email"])


@router.get("/verifications")
async def verification_link(browser: BrowserDep, token: str = "") -> Response:
    """The e-mailed link opens a page that asks for one click: opening it verifies nothing, so
    a mail scanner or a link preview that fetches every link cannot spend the single-use token
    before its owner does. The token stays in a hidden field, never in a log line or a referrer."""
    if not TOKEN.fullmatch(token):
        return await browser.render("verified.html", status_code=404, verified=False, problem=None)
    return await browser.render("verified.html", verified=False, confirm=token, problem=None)


@router.post("/verifications")
async def confirm_verification(browser: BrowserDep) -> Response:
    """The person's click: identity verifies the address (R1). Sent again, the same answer: the
    key is the token's hash."""
    form = await browser.form()
    token = str(form.get("token", ""))
    if not TOKEN.fullmatch(token):
        return await browser.render("verified.html", status_code=404, verified=False, problem=None)
    key = "verify-" + hashlib.sha256(token.encode()).hexdigest()[:40]
    try:
        await browser.upstream.identity.command(
            "POST", "/verifications", None, key, {"token": token}, client_address=browser.client_address
        )
    except UpstreamProblem as problem:
        if problem.status >= 500:
            raise
        return await browser.render("verified.html", status_code=problem.status, verified=False, problem=problem)
    return browser.redirect("/verifications/done")


@router.get("/verifications/done")
async def verified(browser: BrowserDep) -> Response:
    return await browser.render("verified.html", verified=True, problem=None)
