"""The HTTP side every service shares: errors as JSON, authentication, health, metrics,
correlation ids, request-size limits, operator routes."""
from __future__ import annotations

import hmac
import logging
import re
import time
import uuid
from datetime import datetime, timedelta
from http import HTTPStatus
from typing import TYPE_CHECKING, Annotated

from fastapi import APIRouter, Depends, FastAPI, Header, HTTPException, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse, Response
from pydantic import BaseModel, Field
from starlette.exceptions import HTTPException as StarletteHTTPException

from contracts.errors import ErrorBody, Refusal, RuleViolation, TooManyRequests
from servicekit.auth import Caller, TokenKeys, unauthenticated, verify_token
from servicekit.logs import bind

if TYPE_CHECKING:
    from servicekit.metrics import ServiceMetrics
    from servicekit.runtime import ServiceRuntime

log = logging.getLogger("servicekit.http")

STATUS_OF = {Refusal.FORBIDDEN: 403, Refusal.NOT_FOUND: 404, Refusal.CONFLICT: 409,
             Refusal.INVALID: 422, Refusal.UNAUTHENTICATED: 401, Refusal.RATE_LIMITED: 429}
# A caller's id is kept only if it is safe in a log line and fits `due_jobs.correlation_id`.
CORRELATION_ID = re.compile(r"[A-Za-z0-9._:-]{1,64}")


def error_response(status: int, code: str, message: str, rule: str | None = None,
                   headers: dict[str, str] | None = None) -> JSONResponse:
    return JSONResponse(ErrorBody(code=code, message=message, rule=rule).model_dump(), status_code=status,
                        headers=headers)


def install_error_handlers(app: FastAPI) -> None:
    @app.exception_handler(RuleViolation)
    async def _refused(_request: Request, error: RuleViolation) -> JSONResponse:
        headers = ({"Retry-After": str(error.retry_after_seconds)}
                   if isinstance(error, TooManyRequests) else None)
        return error_response(STATUS_OF[error.refusal], error.code, error.message, error.rule, headers)

    @app.exception_handler(RequestValidationError)
    async def _invalid(_request: Request, error: RequestValidationError) -> JSONResponse:
        problems = "; ".join(f"{'.'.join(str(p) for p in e['loc'][1:]) or 'body'}: {e['msg']}"
                             for e in error.errors())
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
        return error_response(422, "invalid_request", "The request body could not be read: send "
                              "well-formed JSON (objects and arrays nested at most a few hundred deep).")
    path = request.url.path[:200]  # the caller's text, echoed: bounded
    if error.status_code == 404:
        return error_response(404, "no_such_route", f"Nothing answers {request.method} {path} "
                              "here; the service's routes are listed at /docs.", headers=error.headers)
    if error.status_code == 405:
        return error_response(405, "method_not_allowed", f"{path} does not answer "
                              f"{request.method}; see the Allow header.", headers=error.headers)
    try:
        code = re.sub(r"\W+", "_", HTTPStatus(error.status_code).phrase.lower()).strip("_")
    except ValueError:  # a status without a standard phrase
        code = "http_error"
    return error_response(error.status_code, code, str(error.detail), headers=error.headers)


def internal_error() -> JSONResponse:
    return error_response(500, "internal_error", "Something went wrong on our side; "
                          "the request had no effect. Try again later.")


class RequestContext:
    """Each request gets a correlation id: the caller's `X-Correlation-Id`, or a new one. It
    tags the request's log lines, becomes the correlation id of the events the request causes
    (`run_command`) and is returned in the response. Also counts and times the request by
    route template. An unexpected error is answered here, inside that context, so its log
    line carries the id too."""

    def __init__(self, app, metrics: "ServiceMetrics") -> None:
        self.app, self.metrics = app, metrics

    async def __call__(self, scope, receive, send) -> None:
        if scope["type"] != "http":
            return await self.app(scope, receive, send)
        correlation_id = _callers_correlation_id(scope) or uuid.uuid4().hex
        status, started = 0, time.perf_counter()

        async def send_tagged(message) -> None:
            nonlocal status
            if message["type"] == "http.response.start":
                status = message["status"]
                message = {**message, "headers": [*message.get("headers", ()),
                                                  (b"x-correlation-id", correlation_id.encode())]}
            await send(message)

        with bind(correlation_id=correlation_id):
            try:
                await self.app(scope, receive, send_tagged)
            except Exception:
                log.exception("unhandled error")
                if status:  # the answer had begun: nothing better to send
                    raise
                await internal_error()(scope, receive, send_tagged)
            finally:
                route = getattr(scope.get("route"), "path", "unmatched")
                self.metrics.request(scope["method"], route, status or 500, time.perf_counter() - started)


def _callers_correlation_id(scope) -> str | None:
    for name, value in scope["headers"]:
        if name == b"x-correlation-id":
            text = value.decode("latin-1")
            return text if CORRELATION_ID.fullmatch(text) else None
    return None


class BodyTooLarge(HTTPException):
    """A request body past the service's limit. An HTTPException, so that FastAPI's body
    parsing lets it through unchanged (it turns any other error there into a 400)."""

    def __init__(self, limit: int, upload: bool) -> None:
        what = "An upload" if upload else "A request body"
        super().__init__(413, f"{what} may be at most {_size(limit)}; this one is larger. Nothing was done.")


def _size(limit: int) -> str:
    return f"{limit / 2**20:g} MB" if limit >= 2**20 else f"{limit / 2**10:g} KB"


class BodyLimit:
    """Bounds what a request makes a service read: `MAX_REQUEST_BYTES` for JSON and anything
    else, `MAX_UPLOAD_BYTES` for `multipart/form-data`. A declared Content-Length past the limit
    is answered 413 before a byte is read; a body that turns out longer (chunked, or a
    Content-Length that lies) is cut off at the limit while it streams in, so no more than the
    limit is ever buffered or parsed."""

    def __init__(self, app, max_bytes: int, max_upload_bytes: int) -> None:
        self.app, self.max_bytes, self.max_upload_bytes = app, max_bytes, max_upload_bytes

    async def __call__(self, scope, receive, send) -> None:
        if scope["type"] != "http":
            return await self.app(scope, receive, send)
        headers = dict(scope["headers"])
        upload = headers.get(b"content-type", b"").lower().startswith(b"multipart/form-data")
        limit = self.max_upload_bytes if upload else self.max_bytes
        declared = headers.get(b"content-length", b"")
        if declared.isdigit() and int(declared) > limit:
            return await _too_large(limit, upload)(scope, receive, send)
        received, started = 0, False

        async def limited_receive():
            nonlocal received
            message = await receive()
            if message["type"] == "http.request":
                received += len(message.get("body", b""))
                if received > limit:
                    raise BodyTooLarge(limit, upload)
            return message

        async def watched_send(message) -> None:
            nonlocal started
            started = started or message["type"] == "http.response.start"
            await send(message)

        try:
            await self.app(scope, limited_receive, watched_send)
        except BodyTooLarge:
            if started:
                raise
            await _too_large(limit, upload)(scope, receive, send)


def _too_large(limit: int, upload: bool) -> JSONResponse:
    error = BodyTooLarge(limit, upload)
    # The rest of the body is not read: the connection cannot carry another request.
    return error_response(413, "request_too_large", error.detail, headers={"Connection": "close"})


def token_keys(runtime: "ServiceRuntime") -> TokenKeys:
    settings = runtime.settings
    return TokenKeys(settings.token_secret, settings.previous_token_secrets(),
                     timedelta(seconds=settings.token_ttl_seconds))


def caller_dependency(runtime: "ServiceRuntime"):
    """A valid token of a session that has not ended (see `servicekit.sessions`)."""
    async def authenticated(authorization: Annotated[str | None, Header(
            description="`Bearer <access token>` from identity's `POST /tokens`.")] = None) -> Caller:
        if not authorization or not authorization.lower().startswith("bearer "):
            raise unauthenticated("Sign in and send the access token as 'Authorization: Bearer <token>'.")
        caller = verify_token(token_keys(runtime), authorization[7:].strip(), runtime.clock.now())
        sessions = getattr(runtime, "ended_sessions", None)
        if sessions is not None and await sessions.is_ended(caller.session_id):
            raise unauthenticated("This session was signed out; sign in again.")
        return caller
    authenticated.entitle_access = "caller"  # read by servicekit.openapi
    return Depends(authenticated)


def operator_dependency(runtime: "ServiceRuntime"):
    """Every `/ops` route (termination, order decisions, the test clock, stats, outbox
    operations) needs `X-Operator-Token: <OPERATOR_TOKEN>`.

    Without an OPERATOR_TOKEN they are refused, except on a stack with a test clock (`make run`,
    the tests), where they are open.
    """
    async def operator(x_operator_token: Annotated[str | None, Header(
            description="The service's `OPERATOR_TOKEN`.")] = None) -> None:
        _check_operator(runtime, x_operator_token)
    operator.entitle_access = "operator"  # read by servicekit.openapi
    return Depends(operator)


def metrics_dependency(runtime: "ServiceRuntime"):
    """`/metrics` tells how busy each route and consumer is: operators only, unless
    `METRICS_OPEN` says the port is reached only by the scraper. The token is also accepted as
    `Authorization: Bearer`, which Prometheus' scrape configuration can send."""
    async def metrics_reader(x_operator_token: Annotated[str | None, Header()] = None,
                             authorization: Annotated[str | None, Header()] = None) -> None:
        if getattr(runtime.settings, "metrics_open", False):
            return
        bearer = authorization[7:].strip() if authorization and authorization.lower().startswith("bearer ") else None
        _check_operator(runtime, x_operator_token or bearer)
    return Depends(metrics_reader)


def _check_operator(runtime: "ServiceRuntime", sent: str | None) -> None:
    expected = runtime.settings.operator_token
    if not expected:
        if runtime.on_test_clock:
            return
        raise RuleViolation("operator_routes_disabled", "Operator actions are off: set OPERATOR_TOKEN "
                            "on the service and send it as 'X-Operator-Token'.", refusal=Refusal.FORBIDDEN)
    if not hmac.compare_digest((sent or "").encode(), expected.encode()):
        raise RuleViolation("not_an_operator", "Send the operator token as 'X-Operator-Token'.",
                            refusal=Refusal.FORBIDDEN)


class ClockAdvance(BaseModel):
    days: int = Field(0, ge=0, description="Days to move forward.")
    seconds: int = Field(0, ge=0, description="Seconds to move forward.")


class ClockSet(BaseModel):
    at: datetime = Field(description="The new time; never earlier than now (time only moves forward).")
    subject: str | None = Field(None, description="Move only this subscription's time (it runs ahead "
                                                  "of the stack until the stack catches up).")


def health_router(runtime: "ServiceRuntime") -> APIRouter:
    """/health and /ready for anyone (orchestrators probe them), /metrics for the scraper,
    everything under /ops for operators."""
    router = APIRouter(tags=["operations"])
    ops = APIRouter(tags=["operations"], dependencies=[operator_dependency(runtime)])

    @router.get("/health")
    async def health() -> dict:
        return {"status": "ok", "service": runtime.settings.service_name}

    @router.get("/ready")
    async def ready() -> JSONResponse:
        checks = await runtime.readiness()
        ok = all(checks.values())
        return JSONResponse({"ready": ok, "checks": checks}, status_code=200 if ok else 503)

    @ops.get("/ops/stats")
    async def stats() -> dict:
        return await runtime.stats()

    @router.get("/metrics", include_in_schema=False, dependencies=[metrics_dependency(runtime)])
    async def metrics() -> Response:
        """Prometheus text exposition (see docs/architecture.md, Observability)."""
        return Response(await runtime.metrics.exposition(runtime), media_type=runtime.metrics.content_type)

    if runtime.on_test_clock:
        clock = runtime.clock

        @ops.get("/ops/clock")
        async def read_clock(subject: str | None = None) -> dict:
            """The stack's time, or one subscription's (`?subject=<id>`) when it runs ahead."""
            return {"now": clock.now_for(subject).isoformat(), "subjects_ahead": clock.subject_offsets()}

        @ops.get("/ops/jobs/next")
        async def next_job(subject: str | None = None) -> dict:
            due = await runtime.scheduler.next_due_at(subject)
            return {"due_at": due.isoformat() if due else None}

        @ops.post("/ops/clock/advance")
        async def advance_clock(body: ClockAdvance) -> dict:
            """Test clock only: move time forward for the whole stack, then fire what is due here."""
            now = clock.advance(timedelta(days=body.days, seconds=body.seconds))
            fired = await runtime.scheduler.fire_due()
            return {"now": now.isoformat(), "fired_here": fired}

        @ops.post("/ops/clock/set")
        async def set_clock(body: ClockSet) -> dict:
            """Test clock only: move time forward to `at` for the whole stack, or for one
            subscription (`subject`), then fire what is due here."""
            if body.at.tzinfo is None:
                raise RuleViolation("naive_time", "Give the time with its offset, e.g. 2026-02-01T00:00:00Z.",
                                    refusal=Refusal.INVALID)
            if body.at < clock.now_for(body.subject):
                raise RuleViolation("clock_moves_forward_only", f"The clock is at "
                                    f"{clock.now_for(body.subject).isoformat()}; it only moves forward.",
                                    refusal=Refusal.INVALID)
            if body.subject:
                clock.advance_subject(body.subject, body.at)
            else:
                clock.advance(body.at - clock.now())
            return {"now": clock.now_for(body.subject).isoformat(), "fired_here": await runtime.scheduler.fire_due()}

        @ops.post("/ops/jobs/fire")
        async def fire_jobs() -> dict:
            return {"fired": await runtime.scheduler.fire_due()}

    router.include_router(ops)
    return router
