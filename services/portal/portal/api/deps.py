"""What every page needs: the browser's portal session (from its cookie), the owning
services, the templates, and the page's answers (a page, a redirect, a refusal).

A page declares `browser: BrowserDep`; `browser.render(...)` answers HTML in the session's
language and sets the session cookie when the visit started a session. Refusals are raised
(`SignInRequired`, `PageNotFound`, `CsrfRefused`) and answered by `portal.api.errors`.
"""

from __future__ import annotations

import hmac
import re
import secrets
from datetime import datetime, timedelta
from typing import Annotated, Any
from urllib.parse import quote

from fastapi import Depends, Request
from fastapi.responses import HTMLResponse, RedirectResponse
from starlette.datastructures import FormData

from portal.adapters.i18n import DEFAULT_LOCALE, from_accept_language, supported
from portal.adapters.rendering import Templates
from portal.adapters.upstream import UpstreamServices
from portal.settings import PortalSettings
from portal.store.sessions import PortalSession
from portal.store.uow import PortalUnitOfWork
from servicekit.http.auth import Caller, verify_token
from servicekit.runtime import ServiceRuntime, runtime_of

SESSION_COOKIE = "portal_session"
SESSION_ID = re.compile(r"[A-Za-z0-9_-]{43}")  # secrets.token_urlsafe(32)
IDEMPOTENCY_KEY = re.compile(r"[A-Za-z0-9_-]{16,64}")
ID = re.compile(r"[A-Za-z0-9_.:-]{1,64}")
ANONYMOUS_TTL = timedelta(hours=2)  # a visitor's session before signing in: the forms' CSRF and language


class SignInRequired(Exception):
    def __init__(self, next_path: str) -> None:
        super().__init__("sign in required")
        self.next_path = next_path


class PageNotFound(Exception):
    """Unknown, malformed, or someone else's: one answer."""


class CsrfRefused(Exception):
    """A form posted without this session's CSRF token."""


def new_key() -> str:
    """An Idempotency-Key minted when a form is rendered, carried in a hidden field."""
    return secrets.token_urlsafe(24)


def local_path(candidate: str | None, default: str = "/subscriptions") -> str:
    """A `next` to go to after signing in: a path of the portal, never another site."""
    if candidate and candidate.startswith("/") and not candidate.startswith("//") and "\\" not in candidate:
        return candidate
    return default


class Browser:
    """One request's browser: its session (a new visitor gets one when a page is rendered)."""

    def __init__(self, request: Request, runtime: ServiceRuntime[PortalUnitOfWork], session: PortalSession | None):
        self.request, self.runtime, self.session = request, runtime, session
        self.settings: PortalSettings = runtime.settings  # type: ignore[assignment]  # built by portal.app
        self.upstream: UpstreamServices = request.app.state.upstream
        self.templates: Templates = request.app.state.templates
        self._set_cookie: tuple[str, int] | None = None
        self._clear_cookie = False

    @property
    def locale(self) -> str:
        if self.session is not None:
            return self.session.locale
        return from_accept_language(self.request.headers.get("accept-language"))

    @property
    def client_address(self) -> str | None:
        return self.request.client.host if self.request.client else None

    def now(self) -> datetime:
        return self.runtime.clock.now()

    # -- the session -----------------------------------------------------------------------

    async def ensure_session(self) -> PortalSession:
        """The browser's session; a visitor without one gets an anonymous one (its CSRF token
        and language), sent as the cookie with this answer."""
        if self.session is None:
            self.session = await self._open(self.locale, self.now() + ANONYMOUS_TTL)
        return self.session

    def signed_in(self) -> PortalSession:
        """The signed-in session, or off to the sign-in page and back here afterwards."""
        if self.session is None or not self.session.signed_in:
            target = self.request.url.path + (f"?{self.request.url.query}" if self.request.url.query else "")
            raise SignInRequired(target)
        return self.session

    @property
    def account_id(self) -> str:
        """The company the signed-in person acts for (R2); a token for none has nothing to show."""
        account_id = self.signed_in().account_id
        if not account_id:
            raise PageNotFound()
        return account_id

    @property
    def token(self) -> str:
        token = self.signed_in().access_token
        assert token is not None  # signed_in() says so
        return token

    async def sign_in(self, access_token: str, expires_in: int) -> Caller:
        """A new session holding identity's token (a new id: the visitor's is not reused)."""
        caller = verify_token(self.runtime.authenticator.keys, access_token, self.now())
        # The language the person signed in with stays: the one they chose in the page, or
        # their browser's; the profile's (the token's) only when the page had none.
        locale = supported(self.session.locale if self.session else None) or supported(caller.locale) or self.locale
        lifetime = min(timedelta(seconds=self.settings.session_ttl_seconds), timedelta(seconds=expires_in))
        previous = self.session
        self.session = await self._open(locale, self.now() + lifetime, access_token, caller)
        if previous is not None:
            async with self.runtime.uow() as uow:
                await uow.sessions.remove(previous.id)
                await uow.commit()
        return caller

    async def end_session(self) -> None:
        if self.session is not None:
            async with self.runtime.uow() as uow:
                await uow.sessions.remove(self.session.id)
                await uow.commit()
        self.session = None
        self._set_cookie, self._clear_cookie = None, True

    async def set_locale(self, locale: str) -> None:
        session = await self.ensure_session()
        async with self.runtime.uow() as uow:
            await uow.sessions.set_locale(session.id, locale)
            await uow.commit()
        self.session = PortalSession(**{**vars(session), "locale": locale})

    async def _open(
        self, locale: str, expires_at: datetime, access_token: str | None = None, caller: Caller | None = None
    ) -> PortalSession:
        now = self.now()
        session = PortalSession(
            id=secrets.token_urlsafe(32),
            csrf_token=secrets.token_urlsafe(32),
            locale=locale or DEFAULT_LOCALE,
            created_at=now,
            expires_at=expires_at,
            access_token=access_token,
            person_id=caller.person_id if caller else None,
            account_id=caller.account_id if caller else None,
        )
        async with self.runtime.uow() as uow:
            await uow.sessions.add(session)
            await uow.commit()
        self._set_cookie = (session.id, max(int((expires_at - now).total_seconds()), 0))
        self._clear_cookie = False
        return session

    # -- forms -----------------------------------------------------------------------------

    async def form(self) -> FormData:
        """The posted form, refused unless it carries this session's CSRF token."""
        form = await self.request.form()
        sent = form.get("csrf_token")
        if (
            self.session is None
            or not isinstance(sent, str)
            or not hmac.compare_digest(sent.encode(), self.session.csrf_token.encode())
        ):
            raise CsrfRefused()
        return form

    # -- answers ---------------------------------------------------------------------------

    async def render(self, template: str, status_code: int = 200, **context: Any) -> HTMLResponse:
        session = await self.ensure_session()
        html = self.templates.render(
            template,
            session.locale,
            csrf_token=session.csrf_token,
            signed_in=session.signed_in,
            current_path=self.request.url.path,
            **context,
        )
        return self._with_cookie(HTMLResponse(html, status_code=status_code))

    def fragment(self, template: str, **context: Any) -> HTMLResponse:
        """A partial for htmx: no layout, no new session."""
        locale = self.locale
        html = self.templates.render(template, locale, csrf_token="", signed_in=True, current_path="", **context)
        return HTMLResponse(html)

    def redirect(self, url: str) -> RedirectResponse:
        """303: after a POST the browser GETs the next page (a reload does not post again)."""
        return self._with_cookie(RedirectResponse(url, status_code=303))

    def _with_cookie(self, response: Any) -> Any:
        if self._set_cookie is not None:
            value, max_age = self._set_cookie
            response.set_cookie(
                SESSION_COOKIE,
                value,
                max_age=max_age,
                path="/",
                httponly=True,
                samesite="lax",
                secure=self.settings.cookie_secure,
            )
        elif self._clear_cookie:
            response.delete_cookie(
                SESSION_COOKIE, path="/", httponly=True, samesite="lax", secure=self.settings.cookie_secure
            )
        return response


async def browser(request: Request) -> Browser:
    runtime: ServiceRuntime[PortalUnitOfWork] = runtime_of(request)
    cookie = request.cookies.get(SESSION_COOKIE)
    session = None
    if cookie and SESSION_ID.fullmatch(cookie):
        async with runtime.uow() as uow:
            session = await uow.sessions.get(cookie, runtime.clock.now())
    found = Browser(request, runtime, session)
    if cookie and session is None:
        found._clear_cookie = True  # an expired or unknown cookie is dropped
    request.state.browser = found  # for the error pages (portal.api.errors)
    return found


BrowserDep = Annotated[Browser, Depends(browser)]


def valid_id(value: str) -> str:
    """An id from a URL, or the not-found page."""
    if not ID.fullmatch(value):
        raise PageNotFound()
    return value


def sign_in_url(next_path: str) -> str:
    return f"/sign-in?next={quote(next_path, safe='/')}"
