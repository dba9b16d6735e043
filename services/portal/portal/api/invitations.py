"""The landing page of the seat invitation e-mail (R22, R40): seats links invited users to
`<identity public url>/people/registration?email=...`, and that public URL is the portal's.
The page is a registration form with the invited address filled in; registering is identity's
`POST /people` (name, password, terms accepted, R1, R4), sent with the key the form was
rendered with. Then the portal tries identity's `POST /tokens` with the password just chosen:
identity signs in only a verified person, so a newcomer is told to open the verification
e-mail first, and someone whose address already had an account signs in with its password;
both end on "My software" (`/software`).

Identity answers a registration alike whether or not the address was free (issue 11): after a
refused sign-in this page says the same to both, so it tells nobody who is registered."""

from __future__ import annotations

from fastapi import APIRouter
from fastapi.responses import Response

from portal.adapters.i18n import supported
from portal.adapters.upstream import UpstreamProblem
from portal.api.deps import BrowserDep, new_key, sign_in_url
from portal.api.forms import key_or_new, refusal

router = APIRouter(tags=["pages"], include_in_schema=False)

LANDING = "/software"
MAX_EMAIL = 254
MAX_NAME = 200
MAX_PASSWORD = 1000  # identity's bound


@router.get("/people/registration")
async def registration_page(browser: BrowserDep, email: str = "", lang: str = "") -> Response:
    """The invitation link. `lang`, when a link carries it, is the invitation's language."""
    if supported(lang) and lang != browser.locale:
        await browser.set_locale(lang)
    email = email.strip() if len(email) <= MAX_EMAIL else ""
    return await _form(browser, {"email": email, "name": ""})


@router.post("/people/registration")
async def register(browser: BrowserDep) -> Response:
    form = await browser.form()
    values = {"email": str(form.get("email", "")).strip(), "name": str(form.get("name", "")).strip()}
    password = str(form.get("password", ""))
    accepted = form.get("accept_terms") == "yes"
    key = key_or_new(form)
    refused = _refusal(values, password)
    if refused is not None:
        return await _form(browser, values, refusal(refused))
    body = {**values, "password": password, "locale": browser.locale, "accept_terms": accepted}
    try:
        await browser.upstream.identity.command(
            "POST", "/people", None, key, body, client_address=browser.client_address
        )
    except UpstreamProblem as problem:
        if problem.status >= 500:
            raise
        # The same form again, with a new key: what is sent next is another request.
        return await _form(browser, values, problem)
    return await _sign_in(browser, values["email"], password)


async def _sign_in(browser: BrowserDep, email: str, password: str) -> Response:
    try:
        answer = await browser.upstream.identity.command(
            "POST",
            "/tokens",
            None,
            new_key(),  # a sign-in is not a resubmittable command
            {"email": email, "password": password},
            client_address=browser.client_address,
        )
    except UpstreamProblem as refused:
        if refused.status >= 500:
            raise
        # Unverified (a newcomer) and a wrong password (the address had an account) get one
        # answer: which it was would tell who is registered. `no_account` follows the right
        # password of a verified person: telling them says nothing they do not know.
        shown = refusal("registered_without_company") if refused.code == "no_account" else None
        return await browser.render(
            "invitations/registered.html",
            email=email,
            sign_in=sign_in_url(LANDING),
            problem=shown,
        )
    await browser.sign_in(answer.body["access_token"], int(answer.body["expires_in"]))
    return browser.redirect(LANDING)


def _refusal(values: dict[str, str], password: str) -> str | None:
    if not values["email"] or len(values["email"]) > MAX_EMAIL:
        return "invitation_email_missing"
    if not values["name"] or len(values["name"]) > MAX_NAME:
        return "invitation_name_missing"
    if not password:
        return "password_missing"
    if len(password) > MAX_PASSWORD:
        return "password_too_long"
    return None


async def _form(browser: BrowserDep, values: dict[str, str], problem: UpstreamProblem | None = None) -> Response:
    return await browser.render(
        "invitations/register.html",
        status_code=problem.status if problem else 200,
        values=values,
        key=new_key(),
        problem=problem,
        sign_in=sign_in_url(LANDING),
    )
