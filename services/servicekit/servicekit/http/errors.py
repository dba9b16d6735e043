"""Every error a service answers, in one format: `{code, message, rule}` (`ErrorBody`).

A rule's refusal (`RuleViolation`) maps to its status; what FastAPI and Starlette raise
themselves (no such route, a body they cannot parse, one too large) and anything unexpected
are answered in the same format, so a client reads one shape whatever went wrong.
"""

from __future__ import annotations

import logging
import re
from collections.abc import Mapping
from http import HTTPStatus

from fastapi import FastAPI, HTTPException, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from starlette.exceptions import HTTPException as StarletteHTTPException

from contracts.errors import ErrorBody, Refusal, RuleViolation, TooManyRequests

log = logging.getLogger("servicekit.http")

STATUS_OF = {
    Refusal.FORBIDDEN: 403,
    Refusal.NOT_FOUND: 404,
    Refusal.CONFLICT: 409,
    Refusal.INVALID: 422,
    Refusal.UNAUTHENTICATED: 401,
    Refusal.RATE_LIMITED: 429,
}


def error_response(
    status: int, code: str, message: str, rule: str | None = None, headers: Mapping[str, str] | None = None
) -> JSONResponse:
    return JSONResponse(
        ErrorBody(code=code, message=message, rule=rule).model_dump(), status_code=status, headers=headers
    )


def install_error_handlers(app: FastAPI) -> None:
    @app.exception_handler(RuleViolation)
    async def _refused(_request: Request, error: RuleViolation) -> JSONResponse:
        headers = {"Retry-After": str(error.retry_after_seconds)} if isinstance(error, TooManyRequests) else None
        return error_response(STATUS_OF[error.refusal], error.code, error.message, error.rule, headers)

    @app.exception_handler(RequestValidationError)
    async def _invalid(_request: Request, error: RequestValidationError) -> JSONResponse:
        problems = "; ".join(f"{'.'.join(str(p) for p in e['loc'][1:]) or 'body'}: {e['msg']}" for e in error.errors())
        return error_response(422, "invalid_request", f"The request is not valid: {problems}.")

    @app.exception_handler(StarletteHTTPException)
    async def _http_error(request: Request, error: StarletteHTTPException) -> JSONResponse:
        return http_error_response(request, error)

    @app.exception_handler(Exception)
    async def _crashed(_request: Request, error: Exception) -> JSONResponse:
        log.exception("unhandled error")
        return internal_error()


def http_error_response(request: Request, error: StarletteHTTPException) -> JSONResponse:
    """What FastAPI and Starlette raise themselves (no route, wrong method, a body they cannot
    parse, one too large), in the project's format. A body FastAPI could not parse (JSON
    nested too deeply, say) is bad input like any other: 422 `invalid_request`, not 400."""
    if isinstance(error, BodyTooLarge):
        return error_response(413, "request_too_large", error.detail)
    if error.status_code == 400:
        return error_response(
            422,
            "invalid_request",
            "The request body could not be read: send "
            "well-formed JSON (objects and arrays nested at most a few hundred deep).",
        )
    path = request.url.path[:200]  # the caller's text, echoed: bounded
    if error.status_code == 404:
        return error_response(
            404,
            "no_such_route",
            f"Nothing answers {request.method} {path} here; the service's routes are listed at /docs.",
            headers=error.headers,
        )
    if error.status_code == 405:
        return error_response(
            405,
            "method_not_allowed",
            f"{path} does not answer {request.method}; see the Allow header.",
            headers=error.headers,
        )
    try:
        code = re.sub(r"\W+", "_", HTTPStatus(error.status_code).phrase.lower()).strip("_")
    except ValueError:  # a status without a standard phrase
        code = "http_error"
    return error_response(error.status_code, code, str(error.detail), headers=error.headers)


def internal_error() -> JSONResponse:
    return error_response(
        500, "internal_error", "Something went wrong on our side; the request had no effect. Try again later."
    )


class BodyTooLarge(HTTPException):
    """A request body past the service's limit. An HTTPException, so that FastAPI's body
    parsing lets it through unchanged (it turns any other error there into a 400)."""

    def __init__(self, limit: int, upload: bool) -> None:
        what = "An upload" if upload else "A request body"
        super().__init__(413, f"{what} may be at most {_size(limit)}; this one is larger. Nothing was done.")


def _size(limit: int) -> str:
    return f"{limit / 2**20:g} MB" if limit >= 2**20 else f"{limit / 2**10:g} KB"
