"""The measured flow, driven over HTTP as a customer administrator would drive it.

purchase → subscription.purchased → agreement e-mail → acceptance → subscription.activated
→ seats.unlocked → quantity increase → seats.quantity_changed → billing.invoice_adjusted.
Each hop is the time between two milestones the bench can see from outside.
"""

from __future__ import annotations

import asyncio
import itertools
import time
import uuid
from collections.abc import Awaitable, Callable, Coroutine
from dataclasses import dataclass
from typing import Any, TypeVar

import httpx

from bench.watch import EventWatch, MailWatch
from devkit.mailbox import verification_token

HOPS = (
    "purchase_http",
    "purchased_published",
    "agreement_email",
    "accept_http",
    "activated_published",
    "seats_unlocked",
    "quantity_http",
    "quantity_changed_published",
    "invoice_adjusted",
    "flow",
)
PUBLIC_TOPICS = ["subscriptions.events.v1", "seats.events.v1", "billing.events.v1", "notifications.events.v1"]
HOP_TIMEOUT = 60.0


T = TypeVar("T")


@dataclass
class Customer:
    token: str

    @property
    def headers(self) -> dict[str, str]:
        return {"Authorization": f"Bearer {self.token}"}


class FlowDriver:
    def __init__(self, urls: dict[str, str], events: EventWatch, mails: MailWatch) -> None:
        self._urls, self._events, self._mails = urls, events, mails
        limits = httpx.Limits(max_connections=200, max_keepalive_connections=200)
        self._http = httpx.AsyncClient(timeout=30.0, limits=limits)
        self._customers: list[Customer] = []
        self._next_customer = itertools.count()

    async def register_customers(self, count: int) -> None:
        """Registration hashes a password (argon2id): done once, before anything is timed."""
        for _ in range(count):
            email = f"bench-{uuid.uuid4().hex[:12]}@example.com"
            await self._post(
                "identity",
                "/accounts",
                {
                    "company_name": "Bench BV",
                    "email": email,
                    "password": "Correct-Horse-9",
                    "name": "Bench",
                    "locale": "en",
                    "accept_terms": True,
                },
            )
            await self._post("identity", "/verifications", {"token": await self._verification_token(email)})
            token = (await self._post("identity", "/tokens", {"email": email, "password": "Correct-Horse-9"}))[
                "access_token"
            ]
            self._customers.append(Customer(token))

    async def _verification_token(self, email: str, timeout: float = 30.0) -> str:
        """R1: the link from the verification e-mail, as the person would click it."""
        deadline = time.monotonic() + timeout
        while (token := verification_token(self._mails.directory, email)) is None:
            if time.monotonic() > deadline:
                raise TimeoutError(f"no verification e-mail for {email} within {timeout:.0f} s")
            await asyncio.sleep(0.05)
        return token

    async def _post(self, service: str, path: str, body: dict | None = None, customer: Customer | None = None) -> dict:
        """A command with an Idempotency-Key, sent again once if the connection breaks (a
        kept-alive connection the server is closing): the key makes the retry safe."""
        headers = {"Idempotency-Key": str(uuid.uuid4()), **(customer.headers if customer else {})}
        for attempt in (1, 2):
            try:
                response = await self._http.post(self._urls[service] + path, json=body, headers=headers)
                break
            except httpx.TransportError:
                if attempt == 2:
                    raise
        if response.status_code >= 400:
            raise RuntimeError(f"{service} {path}: {response.status_code} {response.text}")
        return response.json()

    async def run_flow(self) -> dict[str, float]:
        customer = self._customers[next(self._next_customer) % len(self._customers)]
        marks = [time.time()]
        order = {"quantity": 2, "accept_terms_of_sale": True}  # R45
        sid = (await self._post("subscriptions", "/subscriptions", order, customer))["id"]
        marks.append(time.time())
        marks.append(await self._events.wait((sid, "subscription.purchased"), HOP_TIMEOUT))
        marks.append(await self._mails.wait((sid, "agreement"), HOP_TIMEOUT))
        marks.append(time.time())
        await self._post("subscriptions", f"/subscriptions/{sid}/activation", None, customer)
        marks.append(time.time())
        marks.append(await self._events.wait((sid, "subscription.activated"), HOP_TIMEOUT))
        marks.append(await self._events.wait((sid, "seats.unlocked"), HOP_TIMEOUT))
        marks.append(time.time())
        await self._post("seats", f"/subscriptions/{sid}/seats/quantity", {"quantity": 3}, customer)
        marks.append(time.time())
        marks.append(await self._events.wait((sid, "seats.quantity_changed"), HOP_TIMEOUT))
        marks.append(await self._events.wait((sid, "billing.invoice_adjusted"), HOP_TIMEOUT))
        return flow_hops(marks)

    async def close(self) -> None:
        await self._http.aclose()


def flow_hops(marks: list[float]) -> dict[str, float]:
    """Milestones → hop durations. The gaps the bench itself causes (reacting to an e-mail or
    an event) are left out of the hops but stay in the whole flow.

    Broker timestamps have millisecond resolution and can precede the HTTP response that
    caused them (the relay publishes before the response is written): such a hop counts 0.
    """
    (
        start,
        purchased_http,
        purchased,
        emailed,
        accept_start,
        accepted,
        activated,
        unlocked,
        quantity_start,
        quantity_done,
        changed,
        adjusted,
    ) = marks
    spans = (
        purchased_http - start,
        purchased - purchased_http,
        emailed - purchased,
        accepted - accept_start,
        activated - accepted,
        unlocked - activated,
        quantity_done - quantity_start,
        changed - quantity_done,
        adjusted - changed,
        adjusted - start,
    )
    return {hop: max(0.0, span) for hop, span in zip(HOPS, spans, strict=True)}


async def closed_loop(work: Callable[[], Awaitable[T]], seconds: float, concurrency: int) -> tuple[float, list[T]]:
    """`concurrency` callers, each starting `work` again when the last one ends (a flow, an
    access check), for `seconds`. Returns what completed within that time; what is still
    running then is awaited (so it does not spill into what is measured next) but not counted."""
    started = time.monotonic()
    deadline = started + seconds
    finished: list[tuple[float, T]] = []

    async def caller() -> None:
        while time.monotonic() < deadline:
            done = await work()
            finished.append((time.monotonic(), done))

    await asyncio.gather(*(caller() for _ in range(concurrency)))
    return seconds, [done for at, done in finished if at <= deadline]


async def open_loop(work: Callable[[], Coroutine[Any, Any, T]], rate: float, seconds: float) -> tuple[float, list[T]]:
    """`work` started at a fixed rate whatever happens to earlier ones, as real customers arrive."""
    tasks: list[asyncio.Task[T]] = []
    started = time.monotonic()
    for n in range(max(1, int(rate * seconds))):
        await asyncio.sleep(max(0.0, started + n / rate - time.monotonic()))
        tasks.append(asyncio.create_task(work()))
    results = await asyncio.gather(*tasks)
    return time.monotonic() - started, list(results)
