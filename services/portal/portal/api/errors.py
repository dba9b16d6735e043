"""How the pages refuse, as pages: sign in first, not found (unknown and someone else's
alike), a form without its CSRF token, an owning service's refusal; and the headers every
answer carries (Content-Security-Policy without inline script, no framing, no referrer)."""

from __future__ import annotations

from fastapi import FastAPI, Request
from fastapi.responses import Response
from starlette.exceptions import HTTPException as StarletteHTTPException
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from portal.adapters.upstream import UpstreamProblem
from portal.api.deps import Browser, CsrfRefused, PageNotFound, SignInRequired, browser, sign_in_url
from servicekit.http.errors import http_error_response

CONTENT_SECURITY_POLICY = (
    "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; "
    "connect-src 'self'; form-action 'self'; frame-ancestors 'none'; base-uri 'none'; object-src 'none'"
)
SECURITY_HEADERS = [
    (b"content-security-policy", CONTENT_SECURITY_POLICY.encode()),
    (b"x-content-type-options", b"nosniff"),
    (b"x-frame-options", b"DENY"),
    # A verification link carries its token in the query: no page sends its address anywhere.
    (b"referrer-policy", b"no-referrer"),
]
KIT_PATHS = ("/health", "/ready", "/metrics", "/ops", "/docs", "/openapi.json", "/redoc")


class SecurityHeaders:
    """Every answer: the headers above; pages are not cached (they show a person's data)."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        static = scope["path"].startswith("/static/")

        async def send_with_headers(message: Message) -> None:
            if message["type"] == "http.response.start":
                headers = [*message.get("headers", ()), *SECURITY_HEADERS]
                if not static:
                    headers.append((b"cache-control", b"no-store"))
                message = {**message, "headers": headers}
            await send(message)

        await self.app(scope, receive, send_with_headers)


async def _browser_of(request: Request) -> Browser:
    found = getattr(request.state, "browser", None)
    return found if isinstance(found, Browser) else await browser(request)


async def not_found_page(request: Request) -> Response:
    return await (await _browser_of(request)).render("not_found.html", status_code=404)


def install_page_errors(app: FastAPI) -> None:
    @app.exception_handler(SignInRequired)
    async def _sign_in(request: Request, error: SignInRequired) -> Response:
        return (await _browser_of(request)).redirect(sign_in_url(error.next_path))

    @app.exception_handler(PageNotFound)
    async def _not_found(request: Request, _error: PageNotFound) -> Response:
        return await not_found_page(request)

    @app.exception_handler(CsrfRefused)
    async def _csrf(request: Request, _error: CsrfRefused) -> Response:
        return await (await _browser_of(request)).render("refused.html", status_code=403)

    @app.exception_handler(UpstreamProblem)
    async def _upstream(request: Request, problem: UpstreamProblem) -> Response:
        found = await _browser_of(request)
        if problem.unauthenticated:  # the token ended (expired, or signed out elsewhere)
            path = request.url.path if request.method == "GET" else "/subscriptions"
            await found.end_session()
            return found.redirect(sign_in_url(path))
        if problem.not_found:
            return await found.render("not_found.html", status_code=404)
        status = 502 if problem.status >= 500 else problem.status
        return await found.render("problem.html", status_code=status, problem=problem)

    @app.exception_handler(StarletteHTTPException)
    async def _http_error(request: Request, error: StarletteHTTPException) -> Response:
        if error.status_code in (404, 405) and not request.url.path.startswith(KIT_PATHS):
            return await not_found_page(request)
        return http_error_response(request, error)
