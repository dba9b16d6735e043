"""Sign in, sign out and the page's language (R1, R2): identity's `POST /tokens` and
`POST /sessions/current/sign-out`; the portal session holds the token and ends with it."""

from __future__ import annotations

from fastapi import APIRouter
from fastapi.responses import Response

from portal.adapters.i18n import supported
from portal.adapters.upstream import UpstreamProblem
from portal.api.deps import Browser, BrowserDep, local_path, new_key

router = APIRouter(tags=["pages"], include_in_schema=False)


@router.get("/")
async def home(browser: BrowserDep) -> Response:
    signed_in = browser.session is not None and browser.session.signed_in
    return browser.redirect(await landing(browser) if signed_in else "/sign-in")


async def landing(browser: Browser) -> str:
    """Where a person lands without a `next`: an administrator on their subscriptions, a
    person who administers none (an invited seat user) on "My software" (R40). subscriptions'
    `GET /subscriptions?limit=1` lists only what the caller administers (R6)."""
    try:
        answer = await browser.upstream.subscriptions.get("/subscriptions", browser.token, {"limit": 1})
    except UpstreamProblem as problem:
        if problem.unauthenticated:
            raise
        return "/subscriptions"  # subscriptions not answering: its page says so
    return "/subscriptions" if answer.body else "/software"


@router.get("/sign-in")
async def sign_in_page(browser: BrowserDep, next: str = "") -> Response:
    return await browser.render("sign_in.html", next=local_path(next, default=""), email="", problem=None)


@router.post("/sign-in")
async def sign_in(browser: BrowserDep) -> Response:
    form = await browser.form()
    email, password = str(form.get("email", "")).strip(), str(form.get("password", ""))
    target = local_path(str(form.get("next", "")), default="")
    try:
        answer = await browser.upstream.identity.command(
            "POST",
            "/tokens",
            None,
            new_key(),  # signing in is not a resubmittable command: each try is its own
            {"email": email, "password": password},
            client_address=browser.client_address,
        )
    except UpstreamProblem as problem:
        if problem.status >= 500:
            raise
        return await browser.render(
            "sign_in.html", status_code=problem.status, next=target, email=email, problem=problem
        )
    await browser.sign_in(answer.body["access_token"], int(answer.body["expires_in"]))
    return browser.redirect(target or await landing(browser))


@router.post("/sign-out")
async def sign_out(browser: BrowserDep) -> Response:
    """Ends the portal session and identity's session with it: the token stops working."""
    form = await browser.form()
    session = browser.session
    if session is not None and session.access_token:
        try:
            await browser.upstream.identity.command(
                "POST",
                "/sessions/current/sign-out",
                session.access_token,
                str(form.get("idempotency_key") or new_key()),
            )
        except UpstreamProblem as problem:
            if not problem.unauthenticated:  # an ended token needs no ending
                raise
    await browser.end_session()
    return browser.redirect("/sign-in")


@router.post("/language")
async def switch_language(browser: BrowserDep) -> Response:
    """The language of every page from now on, kept in the portal session and, for a person
    signed in, in their profile at identity: their e-mails and next sign-ins follow it."""
    form = await browser.form()
    locale = supported(str(form.get("locale", "")))
    if locale:
        await browser.set_locale(locale)
        if browser.session is not None and browser.session.signed_in:
            try:  # a language change is the same however often it is sent: a fresh key is enough
                await browser.upstream.identity.command("PATCH", "/me", browser.token, new_key(), {"locale": locale})
            except UpstreamProblem as problem:
                if problem.unauthenticated:
                    raise
                # identity not answering keeps the page's language; the profile page saves it later
    return browser.redirect(local_path(str(form.get("next", "")), default="/"))
