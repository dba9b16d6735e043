"""ASGI middleware every service runs: a correlation id and metrics per request, and a bound
on what a request body makes the service read."""

from __future__ import annotations

import logging
import re
import time
import uuid
from collections.abc import Mapping
from email.utils import format_datetime

from fastapi.responses import JSONResponse
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from servicekit.clock import Clock
from servicekit.http.errors import BodyTooLarge, error_response, internal_error
from servicekit.logs import bind
from servicekit.metrics import ServiceMetrics

log = logging.getLogger("servicekit.http")

# A caller's id is kept only if it is safe in a log line and fits `due_jobs.correlation_id`.
CORRELATION_ID = re.compile(r"[A-Za-z0-9._:-]{1,64}")


class RequestContext:
    """Each request gets a correlation id: the caller's `X-Correlation-Id`, or a new one. It
    tags the request's log lines, becomes the correlation id of the events the request causes
    (`run_command`) and is returned in the response. Also counts and times the request by
    route template. An unexpected error is answered here, inside that context, so its log
    line carries the id too.

    The `Date` header is the service's own clock (uvicorn's is turned off, `servicekit.logs`):
    the same as the wall clock in production, and on a test-clock stack the time the service
    lives at, which is the time its tokens and signed entitlements say. A product's client
    library takes the server's time from it (issue 14: clock-rollback detection)."""

    def __init__(self, app: ASGIApp, metrics: ServiceMetrics, clock: Clock | None = None) -> None:
        self.app, self.metrics, self.clock = app, metrics, clock

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            return await self.app(scope, receive, send)
        correlation_id = _callers_correlation_id(scope) or uuid.uuid4().hex
        status, started = 0, time.perf_counter()

        async def send_tagged(message: Message) -> None:
            nonlocal status
            if message["type"] == "http.response.start":
                status = message["status"]
                tags = [(b"x-correlation-id", correlation_id.encode())]
                if self.clock is not None:
                    tags.append((b"date", format_datetime(self.clock.now(), usegmt=True).encode()))
                message = {**message, "headers": [*message.get("headers", ()), *tags]}
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


def _callers_correlation_id(scope: Scope) -> str | None:
    for name, value in scope["headers"]:
        if name == b"x-correlation-id":
            text = value.decode("latin-1")
            return text if CORRELATION_ID.fullmatch(text) else None
    return None


class BodyLimit:
    """Bounds what a request makes a service read: `MAX_REQUEST_BYTES` for JSON and anything
    else, `MAX_UPLOAD_BYTES` for `multipart/form-data`, and the paths in `larger` (exact path:
    limit) their own, for a route whose body is a file (a bank statement), so that one route's
    need does not raise every other route's bound. A declared Content-Length past the limit
    is answered 413 before a byte is read; a body that turns out longer (chunked, or a
    Content-Length that lies) is cut off at the limit while it streams in, so no more than the
    limit is ever buffered or parsed."""

    def __init__(
        self, app: ASGIApp, max_bytes: int, max_upload_bytes: int, larger: Mapping[str, int] | None = None
    ) -> None:
        self.app, self.max_bytes, self.max_upload_bytes = app, max_bytes, max_upload_bytes
        self.larger = dict(larger or {})

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            return await self.app(scope, receive, send)
        headers = dict(scope["headers"])
        upload = headers.get(b"content-type", b"").lower().startswith(b"multipart/form-data")
        limit = self.max_upload_bytes if upload else self.larger.get(scope["path"], self.max_bytes)
        declared = headers.get(b"content-length", b"")
        if declared.isdigit() and int(declared) > limit:
            return await _too_large(limit, upload)(scope, receive, send)
        received, started = 0, False

        async def limited_receive() -> Message:
            nonlocal received
            message = await receive()
            if message["type"] == "http.request":
                received += len(message.get("body", b""))
                if received > limit:
                    raise BodyTooLarge(limit, upload)
            return message

        async def watched_send(message: Message) -> None:
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
