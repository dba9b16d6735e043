"""The owning services' HTTP APIs, as the portal calls them: one `httpx.AsyncClient` per
service; every call carries the person's bearer token (never in a URL), every command the
Idempotency-Key its form was rendered with. An answer that is not a success becomes an
`UpstreamProblem` holding the service's error body (`{code, message, rule}`), which the pages
show; a service that cannot be reached becomes one too (`code="unavailable"`)."""

from __future__ import annotations

import logging
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

import httpx

log = logging.getLogger("portal.upstream")

SERVICES = ("identity", "subscriptions", "seats", "notifications", "billing")
MAX_PAGES = 20  # a list read a page at a time stops here (20 × 500 items)


class UpstreamProblem(Exception):
    """An owning service refused or failed: its status and error body."""

    def __init__(self, service: str, status: int, code: str, message: str, rule: str | None = None) -> None:
        super().__init__(f"{service} answered {status} {code}")
        self.service, self.status, self.code, self.message, self.rule = service, status, code, message, rule

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
        return await self._send("GET", path, token, params=params)

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

    async def document(self, path: str, token: str) -> Answer:
        """A document that is not JSON (its bytes in `content`), refused as any read is."""
        return await self._send("GET", path, token)

    async def upload(
        self,
        path: str,
        token: str,
        idempotency_key: str,
        files: Mapping[str, tuple[str, bytes, str]],
        timeout: float | None = None,
    ) -> Answer:
        """A multipart command (a file), with its form's key; `timeout` for an owner that
        reads the whole file before answering."""
        headers = {"Idempotency-Key": idempotency_key}
        return await self._send("POST", path, token, files=files, headers=headers, timeout=timeout)

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
        headers: dict[str, str] | None = None,
        timeout: float | None = None,
    ) -> Answer:
        headers = dict(headers or {})
        if token:
            headers["Authorization"] = f"Bearer {token}"
        extra: dict[str, Any] = {"timeout": timeout} if timeout is not None else {}
        try:
            response = await self.client.request(
                method, path, params=params, json=json, files=files, headers=headers, **extra
            )
        except httpx.HTTPError as unreachable:
            log.warning("%s unreachable (%s)", self.name, type(unreachable).__name__)
            raise UpstreamProblem(self.name, 503, "unavailable", f"{self.name} cannot be reached.") from None
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
        )

    async def aclose(self) -> None:
        await self.client.aclose()


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
