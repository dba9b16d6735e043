"""The owning services' HTTP APIs, as the portal calls them: one `httpx.AsyncClient` per
service; every call carries the person's bearer token (never in a URL), every command the
Idempotency-Key its form was rendered with. An answer that is not a success becomes an
`UpstreamProblem` holding the service's error body (`{code, message, rule}`), which the pages
show; a service that cannot be reached becomes one too (`code="unavailable"`).

Each call is counted, with the time the request spent waiting on the services, in the
request's `UpstreamTally` (a contextvar the timing middleware sets, `portal.api.timing`): the
cost of a page in calls and milliseconds goes out in its `Server-Timing` header."""

from __future__ import annotations

import logging
import time
from collections.abc import Callable, Mapping
from contextvars import ContextVar
from dataclasses import dataclass
from typing import Any

import httpx

log = logging.getLogger("portal.upstream")

SERVICES = ("identity", "subscriptions", "seats", "notifications", "billing")
MAX_PAGES = 20  # a list read a page at a time stops here (20 × 500 items)


class UpstreamTally:
    """The calls one request made to the owning services, and the wall time it spent waiting
    on at least one of them: calls made at once (`asyncio.gather`) overlap, so their time is
    counted once, as the person waits it, not summed."""

    __slots__ = ("_clock", "_in_flight", "_since", "_waited", "calls", "reads")

    def __init__(self, clock: Callable[[], float] = time.perf_counter) -> None:
        self._clock = clock  # a test's own, to count overlaps without waiting
        self.calls = 0
        # What this request already read (service, path, query, token → answer): a page that
        # needs the same resource twice (the catalogue for its names and for its offer) asks
        # once. Any command empties it: what is read after a command is read afresh.
        self.reads: dict[tuple[str, str, tuple[tuple[str, str | int], ...], str | None], Answer] = {}
        self._in_flight = 0
        self._since = 0.0
        self._waited = 0.0

    def started(self) -> None:
        self.calls += 1
        if self._in_flight == 0:
            self._since = self._clock()
        self._in_flight += 1

    def ended(self) -> None:
        self._in_flight -= 1
        if self._in_flight == 0:
            self._waited += self._clock() - self._since

    @property
    def seconds(self) -> float:
        """So far; a call still in flight counts up to now."""
        return self._waited + (self._clock() - self._since if self._in_flight else 0.0)


# One tally per request, set by the timing middleware. It is a mutable object rather than a
# counter in the variable itself: tasks the page starts (`gather`) copy the context, and must
# add to the same tally.
UPSTREAM_TALLY: ContextVar[UpstreamTally | None] = ContextVar("portal_upstream_tally", default=None)


class UpstreamProblem(Exception):
    """An owning service refused or failed: its status and error body."""

    def __init__(
        self,
        service: str,
        status: int,
        code: str,
        message: str,
        rule: str | None = None,
        retry_after: int | None = None,
    ) -> None:
        super().__init__(f"{service} answered {status} {code}")
        self.service, self.status, self.code, self.message, self.rule = service, status, code, message, rule
        self.retry_after = retry_after  # seconds, from a 429's Retry-After: when to try again

    @property
    def not_found(self) -> bool:
        """Unknown and "not yours" are one answer to the person (403 and 404 alike)."""
        return self.status in (403, 404)

    @property
    def unauthenticated(self) -> bool:
        return self.status == 401


@dataclass(frozen=True)
class Answer:
    status: int
    body: Any
    headers: Mapping[str, str]
    content: bytes = b""  # the raw body, for a document (a template file, an invoice)


class Upstream:
    """One owning service."""

    def __init__(
        self, name: str, base_url: str, timeout: float, transport: httpx.AsyncBaseTransport | None = None
    ) -> None:
        self.name = name
        self.client = httpx.AsyncClient(base_url=base_url, timeout=timeout, transport=transport)

    async def get(self, path: str, token: str | None, params: Mapping[str, str | int] | None = None) -> Answer:
        """A read; the same read again within one request is answered from the first (the
        request's `UpstreamTally`), unless a command went out in between."""
        tally = UPSTREAM_TALLY.get()
        if tally is None:
            return await self._send("GET", path, token, params=params)
        key = (self.name, path, tuple(sorted((params or {}).items())), token)
        if (found := tally.reads.get(key)) is not None:
            return found
        answer = await self._send("GET", path, token, params=params)
        tally.reads[key] = answer
        return answer

    async def get_all(
        self,
        path: str,
        token: str,
        limit: int = 500,
        params: Mapping[str, str | int] | None = None,
        items: str | None = None,
        max_pages: int = MAX_PAGES,
    ) -> list[Any]:
        """Every item of a paged list (`X-Next-Cursor`), up to `max_pages` pages; `params`
        filter it (and are kept from page to page); `items` names the list in an answer that
        is an object (`{"users": [...]}`) rather than an array."""
        found: list[Any] = []
        query: dict[str, str | int] = {**(params or {}), "limit": limit}
        for _ in range(max_pages):
            answer = await self.get(path, token, query)
            found += answer.body[items] if items is not None else answer.body
            cursor = answer.headers.get("x-next-cursor")
            if not cursor:
                break
            query = {**(params or {}), "limit": limit, "cursor": cursor}
        return found

    async def document(
        self, path: str, token: str, params: Mapping[str, str | int] | None = None, max_bytes: int | None = None
    ) -> Answer:
        """A document that is not JSON (its bytes in `content`), refused as any read is.
        `max_bytes`: read as it arrives and given up past that many bytes (502
        `download_too_large`), so a runaway answer never sits whole in the portal's memory."""
        return await self._send("GET", path, token, params=params, max_bytes=max_bytes)

    async def upload(
        self,
        path: str,
        token: str,
        idempotency_key: str,
        files: Mapping[str, tuple[str, bytes, str]],
        timeout: float | None = None,
        fields: Mapping[str, str] | None = None,
    ) -> Answer:
        """A multipart command (a file, and plain `fields` beside it), with its form's key;
        `timeout` for an owner that reads the whole file before answering."""
        headers = {"Idempotency-Key": idempotency_key}
        return await self._send("POST", path, token, files=files, data=fields, headers=headers, timeout=timeout)

    async def command(
        self,
        method: str,
        path: str,
        token: str | None,
        idempotency_key: str,
        body: Any = None,
        client_address: str | None = None,
    ) -> Answer:
        """A command: the same `idempotency_key` (minted when its form was rendered) makes a
        second submit the same command. `client_address` is the browser's, for the owner's
        per-client limits (identity believes it from a trusted proxy only)."""
        headers = {"Idempotency-Key": idempotency_key}
        if client_address:
            headers["X-Forwarded-For"] = client_address
        return await self._send(method, path, token, json=body, headers=headers)

    async def _send(
        self,
        method: str,
        path: str,
        token: str | None,
        *,
        params: Mapping[str, str | int] | None = None,
        json: Any = None,
        files: Mapping[str, tuple[str, bytes, str]] | None = None,
        data: Mapping[str, str] | None = None,
        headers: dict[str, str] | None = None,
        timeout: float | None = None,
        max_bytes: int | None = None,
    ) -> Answer:
        headers = dict(headers or {})
        if token:
            headers["Authorization"] = f"Bearer {token}"
        extra: dict[str, Any] = {"timeout": timeout} if timeout is not None else {}
        tally = UPSTREAM_TALLY.get()
        if tally is not None:
            if method != "GET":
                tally.reads.clear()
            tally.started()
        try:
            if max_bytes is None:
                response = await self.client.request(
                    method, path, params=params, json=json, files=files, data=data, headers=headers, **extra
                )
            else:
                response = await self._bounded(method, path, params, headers, max_bytes)
        except httpx.HTTPError as unreachable:
            log.warning("%s unreachable (%s)", self.name, type(unreachable).__name__)
            raise UpstreamProblem(self.name, 503, "unavailable", f"{self.name} cannot be reached.") from None
        finally:
            if tally is not None:
                tally.ended()
        is_json = "json" in response.headers.get("content-type", "")  # application/json, problem+json
        try:
            body = response.json() if response.content and is_json else None
        except ValueError:
            body = None
        if response.is_success:
            return Answer(response.status_code, body, response.headers, response.content)
        refusal = body if isinstance(body, dict) else {}
        raise UpstreamProblem(
            self.name,
            response.status_code,
            str(refusal.get("code") or "error"),
            str(refusal.get("message") or f"{self.name} answered {response.status_code}."),
            refusal.get("rule"),
            _seconds(response.headers.get("retry-after")),
        )

    async def _bounded(
        self,
        method: str,
        path: str,
        params: Mapping[str, str | int] | None,
        headers: dict[str, str],
        max_bytes: int,
    ) -> httpx.Response:
        """The answer read a chunk at a time, given up as soon as it passes `max_bytes` once
        decoded (a compressed answer is bounded by what it expands to); a declared
        Content-Length that large is not read at all."""
        async with self.client.stream(method, path, params=params, headers=headers) as response:
            declared = response.headers.get("content-length", "")
            if declared.isdigit() and int(declared) > max_bytes:
                raise self._too_large(max_bytes)
            content = bytearray()
            async for chunk in response.aiter_bytes():
                content += chunk
                if len(content) > max_bytes:
                    raise self._too_large(max_bytes)
        kept = [(k, v) for k, v in response.headers.multi_items() if k not in ("content-encoding", "content-length")]
        return httpx.Response(response.status_code, headers=kept, content=bytes(content), request=response.request)

    def _too_large(self, max_bytes: int) -> UpstreamProblem:
        log.warning("%s sent a document over %d bytes", self.name, max_bytes)
        return UpstreamProblem(self.name, 502, "download_too_large", f"{self.name} sent more than {max_bytes} bytes.")

    async def aclose(self) -> None:
        await self.client.aclose()


def _seconds(retry_after: str | None) -> int | None:
    """Retry-After in seconds, as the services send it; anything else (an HTTP date, junk) is
    no promise to show."""
    if retry_after is None or not retry_after.strip().isdigit() or len(retry_after.strip()) > 9:
        return None
    return int(retry_after.strip())


class UpstreamServices:
    """Every owning service the pages read from or command."""

    def __init__(
        self, urls: Mapping[str, str], timeout: float, transport: httpx.AsyncBaseTransport | None = None
    ) -> None:
        self.identity = Upstream("identity", urls["identity"], timeout, transport)
        self.subscriptions = Upstream("subscriptions", urls["subscriptions"], timeout, transport)
        self.seats = Upstream("seats", urls["seats"], timeout, transport)
        self.notifications = Upstream("notifications", urls["notifications"], timeout, transport)
        self.billing = Upstream("billing", urls["billing"], timeout, transport)

    async def aclose(self) -> None:
        for service in (self.identity, self.subscriptions, self.seats, self.notifications, self.billing):
            await service.aclose()
