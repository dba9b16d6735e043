"""The portal's pages (issue 13): what each costs the server, in time and in calls to the owning
services, beside the owning service's own API call underneath, timed in the same run.

On the bench's stack: one administrator (registered and verified as a person would be), an
active subscription of 1,000 seats with 1,000 users holding them (seats' `POST
/subscriptions/{id}/users`, all in one request), a few invoices (seat increases, each invoiced
at once, R30), and a portal session signed in through the sign-in form. Then each page is asked
`requests` times one after the other (bounded in time), each followed by the API call it mostly
waits on. The server time comes from the page's `Server-Timing` header (`portal.api.timing`).
"""

from __future__ import annotations

import asyncio
import os
import re
import time
from dataclasses import dataclass
from typing import Any

import httpx

from bench.customer import PASSWORD, BenchCustomer
from bench.report import percentiles
from devkit.devstack import PORTAL, DevStack

USERS = 1000
SEAT_INCREASES = 3  # each is invoiced at once (R30): with the activation's, four invoices
TIMING = re.compile(r"(\w+);dur=([\d.]+)(?:;desc=\"(\d+) calls?\")?")
CSRF = re.compile(r'name="csrf_token" value="([^"]+)"')
SETTLE_TIMEOUT = 180.0


class PageFailed(Exception):
    """A page that did not answer 200: reported in its row, not measured."""


@dataclass(frozen=True)
class Page:
    name: str
    path: str
    # The owning services' calls the page makes (service, path, query), the one it mostly waits
    # on first: the floor beside the page.
    underneath: tuple[tuple[str, str, dict[str, str | int]], ...]


def pages(sid: str, search: str) -> list[Page]:
    """The pages of issue 13 and the calls each makes (read from `portal/api/*.py`)."""
    one = f"/subscriptions/{sid}"
    return [
        Page(
            "overview",
            "/subscriptions",
            (("subscriptions", "/subscriptions", {"limit": 500}), ("seats", f"{one}/seats", {})),
        ),
        Page(
            "users (first 100)",
            f"{one}/users",
            (("seats", f"{one}/users", {"limit": 100}), ("seats", f"{one}/seats", {}), ("subscriptions", one, {})),
        ),
        Page(
            "users (search)",
            f"{one}/users?q={search}",
            (
                ("seats", f"{one}/users", {"limit": 100, "text": search}),
                ("seats", f"{one}/seats", {}),
                ("subscriptions", one, {}),
            ),
        ),
        Page("invoices", "/invoices", (("billing", "/invoices", {"limit": 25}),)),
        Page(
            "subscription",
            one,
            (
                ("subscriptions", one, {}),
                ("seats", f"{one}/seats", {}),
                ("billing", f"{one}/invoice-lines", {"limit": 100}),
                ("subscriptions", "/catalogue", {}),
            ),
        ),
    ]


def server_timing(header: str) -> dict[str, Any]:
    """`app;dur=41.2, upstream;dur=35.8;desc="3 calls"` → {"app": 41.2, "upstream": 35.8, "calls": 3} (ms)."""
    found: dict[str, Any] = {}
    for name, dur, calls in TIMING.findall(header):
        found[name] = float(dur)
        if calls:
            found["calls"] = int(calls)
    return found


def spread(values: list[float]) -> dict[str, float]:
    """p50 / p95 / max, in the unit given (ms here)."""
    q = percentiles(values)
    return {"p50": q["p50"], "p95": q["p95"], "max": max(values) if values else float("nan")}


class PortalBench:
    def __init__(self, stack: DevStack) -> None:
        self._customer = BenchCustomer(stack, "bench-portal")
        self._call = self._customer.call
        self._mail_dir = stack.config.mail_dir
        self._browser = httpx.AsyncClient(base_url=stack.config.url(PORTAL), timeout=60.0, follow_redirects=False)
        self.email = self._customer.email

    async def close(self) -> None:
        await self._customer.close()
        await self._browser.aclose()

    async def prepare(self) -> str:
        """The administrator, the subscription of 1,000 seats and users, a few invoices: the
        subscription's id. Nothing here is timed."""
        await self._customer.register("Bench Portal BV")
        sid = await self._customer.buy(quantity=USERS)
        people = [
            {"email": f"user-{n:04d}@bench.example.com", "first_name": f"User{n:04d}", "last_name": "Bench"}
            for n in range(USERS)
        ]
        started = time.perf_counter()
        await self._call("POST", "seats", f"/subscriptions/{sid}/users", {"users": people, "assign_seats": True})
        print(f"  portal: {USERS:,} users added with their seats in {time.perf_counter() - started:.1f} s", flush=True)
        for n in range(1, SEAT_INCREASES + 1):
            await self._call("POST", "seats", f"/subscriptions/{sid}/seats/quantity", {"quantity": USERS + n})

        async def invoiced() -> bool:
            return (
                len((await self._call("GET", "billing", "/invoices", params={"limit": 25})).json())
                >= 1 + SEAT_INCREASES
            )

        await self._customer.until("the invoices", invoiced)
        await self._settle()
        return sid

    async def _settle(self) -> None:
        """The invitations' e-mails (one per user) are sent before anything is timed: the pages
        are measured on a quiet stack, not beside 1,000 e-mails being rendered and sent."""
        deadline, last, quiet_since = time.monotonic() + SETTLE_TIMEOUT, -1, time.monotonic()
        while time.monotonic() < deadline:
            count = await asyncio.to_thread(lambda: sum(1 for _ in os.scandir(self._mail_dir)))
            if count != last:
                last, quiet_since = count, time.monotonic()
            elif time.monotonic() - quiet_since > 3.0:
                return
            await asyncio.sleep(0.5)

    async def sign_in(self) -> None:
        """Through the sign-in form, as a browser does: its CSRF token, then the session cookie."""
        form = await self._browser.get("/sign-in")
        found = CSRF.search(form.text)
        if form.status_code != 200 or not found:
            raise RuntimeError(f"portal /sign-in: {form.status_code}")
        answer = await self._browser.post(
            "/sign-in", data={"csrf_token": found.group(1), "email": self.email, "password": PASSWORD}
        )
        if answer.status_code != 303:
            raise RuntimeError(f"portal sign-in refused: {answer.status_code} {answer.text[:300]}")

    async def _page(self, path: str) -> dict[str, float]:
        started = time.perf_counter()
        answer = await self._browser.get(path)
        client = (time.perf_counter() - started) * 1000
        if answer.status_code != 200:
            raise PageFailed(f"GET {path} answered {answer.status_code}")
        return {
            **server_timing(answer.headers.get("server-timing", "")),
            "client": client,
            "bytes": len(answer.content),
        }

    async def _floor(self, service: str, path: str, params: dict[str, str | int]) -> float:
        started = time.perf_counter()
        await self._call("GET", service, path, params=params)
        return (time.perf_counter() - started) * 1000

    async def measure(self, page: Page, requests: int, seconds: float) -> dict[str, Any]:
        """`requests` sequential GETs of the page (or as many as fit in `seconds`), each followed
        by each call underneath, so page and floor share the same moments of the machine."""
        for _ in range(3):  # warm-up: connections, template compilation, statement caches
            await self._page(page.path)
        seen: list[dict[str, float]] = []
        floors: list[list[float]] = [[] for _ in page.underneath]
        deadline = time.monotonic() + seconds
        while len(seen) < requests and time.monotonic() < deadline:
            seen.append(await self._page(page.path))
            for timed, call in zip(floors, page.underneath, strict=True):
                timed.append(await self._floor(*call))
        calls = sorted({int(s.get("calls", -1)) for s in seen})
        return {
            "page": page.name,
            "load_1min": os.getloadavg()[0],
            "path": page.path,
            "requests": len(seen),
            "app_ms": spread([s["app"] for s in seen]),
            "upstream_ms": spread([s["upstream"] for s in seen]),
            "client_ms": spread([s["client"] for s in seen]),
            "calls": calls[0] if len(calls) == 1 else calls,
            "bytes": int(sum(s["bytes"] for s in seen) / len(seen)),
            "underneath": [
                {"service": service, "path": path, "params": params, "client_ms": spread(timed)}
                for (service, path, params), timed in zip(page.underneath, floors, strict=True)
            ],
        }


async def bench_portal(stack: DevStack, requests: int, seconds: float) -> dict[str, Any]:
    """The portal part of a run: `seconds` bounds each page."""
    bench = PortalBench(stack)
    try:
        started = time.perf_counter()
        sid = await bench.prepare()
        load_before = os.getloadavg()[0]
        print(f"  portal: administrator, {USERS:,} users and invoices ready in {time.perf_counter() - started:.1f} s")
        await bench.sign_in()
        found = []
        for page in pages(sid, search="user-012"):
            try:
                found.append(await bench.measure(page, requests, seconds))
            except PageFailed as failed:  # one broken page does not cost the other figures
                found.append({"page": page.name, "path": page.path, "failed": str(failed)})
                print(f"  portal {page.name}: {failed}", flush=True)
                continue
            q = found[-1]["app_ms"]
            print(f"  portal {page.name}: p50 {q['p50']:.0f} ms, p95 {q['p95']:.0f} ms (server)", flush=True)
        load = f"{load_before:.1f} / {os.getloadavg()[0]:.1f}"  # other work on the machine shows here
        return {"users": USERS, "invoices": 1 + SEAT_INCREASES, "load": load, "pages": found}
    finally:
        await bench.close()
