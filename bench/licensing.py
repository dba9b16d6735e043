"""Licensing (issue 14): what a product's online check costs seats, beside the HTTP floor, and
what offline verification costs a product, beside Ed25519 itself.

- The floor: `bench.floor`, a FastAPI route that does nothing, served exactly as the services
  serve (uvloop, httptools, no access log), started for this part and driven by the same load
  generator in the same run.
- Online: `GET /access` asked with a product client's token about one of 200 assigned users
  (unsigned, then `signed=true`), and `POST /leases/{id}/heartbeat` of a floating lease. For
  each, a closed loop of `seconds` gives the rate the stack sustained and, from /proc, the CPU
  the serving process spent per call (the figure that says how many calls one core serves); then
  an open loop at half that rate gives the latency a product sees when the service is not
  saturated.
- Offline: `entitle_client.Verifier.verify` in this process, of entitlements seen for the first
  time (one Ed25519 check each) and of the same entitlement again (the library keeps what it
  checked), beside `cryptography`'s Ed25519 verify of the same signature.

The load generator shares the machine's cores with the stack: the rates are what this machine
sustained with both; the CPU per call is the server's own, whatever the generator cost.
"""

from __future__ import annotations

import asyncio
import itertools
import subprocess
import sys
import time
from collections.abc import Awaitable, Callable, Coroutine
from typing import Any

import httpx

from bench.customer import BenchCustomer
from bench.flows import closed_loop, open_loop
from bench.report import percentiles
from bench.stack import process_cost
from devkit.devstack import DevStack, free_port

USERS = 200
PRODUCT = "designer"
CONCURRENCY = 8

Call = Callable[[httpx.AsyncClient, int], Awaitable[httpx.Response]]


def timed(client: httpx.AsyncClient, call: Call) -> Callable[[], Coroutine[Any, Any, float]]:
    """One call after another (each about the next of the users), refused ones raising: its
    latency in ms, for the bench's loops (`bench.flows`)."""
    numbers = itertools.count()

    async def work() -> float:
        started = time.perf_counter()
        answer = await call(client, next(numbers))
        if answer.status_code >= 400:
            raise RuntimeError(f"licensing bench: {answer.status_code} {answer.text[:300]}")
        return (time.perf_counter() - started) * 1000

    return work


async def saturated(client: httpx.AsyncClient, call: Call, seconds: float, pid: int) -> dict[str, float]:
    """`CONCURRENCY` callers for `seconds`: calls/s and the serving process's CPU per call (ms)."""
    cpu_before = process_cost(pid).cpu_seconds
    elapsed, done = await closed_loop(timed(client, call), seconds, CONCURRENCY)
    cpu, count = process_cost(pid).cpu_seconds - cpu_before, len(done)
    return {"calls": count, "per_s": count / elapsed, "cpu_ms_per_call": 1000 * cpu / max(1, count)}


async def below_saturation(client: httpx.AsyncClient, call: Call, rate: float, seconds: float) -> dict[str, float]:
    """Calls started on a fixed schedule of `rate` a second, whether or not the earlier ones
    answered: the latency (ms) a product sees below saturation."""
    _, latencies = await open_loop(timed(client, call), rate, seconds)
    return {"rate": rate, "calls": len(latencies), **percentiles(latencies)}


async def _floor_process(port: int) -> subprocess.Popen[bytes]:
    process = await asyncio.to_thread(subprocess.Popen, [sys.executable, "-m", "bench.floor", str(port)])
    async with httpx.AsyncClient() as client:
        deadline = time.monotonic() + 30
        while time.monotonic() < deadline:
            try:
                if (await client.get(f"http://127.0.0.1:{port}/nothing")).status_code == 200:
                    return process
            except httpx.TransportError:
                pass
            await asyncio.sleep(0.1)
    process.kill()
    raise RuntimeError("licensing bench: the floor's process did not answer within 30 s")


async def _prepare(customer: BenchCustomer, operator_token: str) -> dict[str, Any]:
    """Named seats of 200 users, a floating pool whose seat the administrator leases, and a
    product client's token. Nothing here is timed."""
    await customer.register("Bench Licensing BV")
    named = await customer.buy(quantity=USERS)
    people = [
        {"email": f"lic-{n:04d}@bench.example.com", "first_name": f"User{n:04d}", "last_name": "Bench"}
        for n in range(USERS)
    ]
    await customer.call("POST", "seats", f"/subscriptions/{named}/users", {"users": people, "assign_seats": True})
    floating = await customer.buy(quantity=2, licence_type="floating")
    me = [{"email": customer.email, "first_name": "Bench", "last_name": "Admin"}]
    await customer.call("POST", "seats", f"/subscriptions/{floating}/users", {"users": me, "assign_seats": True})
    lease = (await customer.call("POST", "seats", f"/subscriptions/{floating}/leases")).json()
    registered = await customer.api.post(
        customer.urls["identity"] + "/ops/product-clients",
        json={"product": PRODUCT, "name": "bench"},
        headers={"X-Operator-Token": operator_token},
    )
    registered.raise_for_status()
    client = registered.json()
    token = await customer.api.post(
        customer.urls["identity"] + "/oauth/token",
        data={"grant_type": "client_credentials"},
        auth=(client["client_id"], client["client_secret"]),
    )
    token.raise_for_status()
    return {
        "emails": [p["email"] for p in people],
        "lease_id": lease.get("lease_id") or lease["result"]["lease_id"],
        "product_token": token.json()["access_token"],
    }


def _offline(entitlement: str, jwks: dict[str, Any], seconds: float) -> dict[str, float]:
    """Verifications a second in this process, three figures (the library keeps the entitlement
    of a token whose signature it checked, by its exact text, so the first two differ tenfold):

    - `fresh_per_s`: entitlements seen for the first time, each verified once: the claims of the
      one seats signed, with a distinct `jti` each, signed by a test key (the library's
      `TestIssuer`) and verified by a `Verifier` on that key's JWKS; an Ed25519 check and a
      claims parse each (what a product's backend pays per entitlement its clients hand it);
    - `cached_per_s`: seats' own entitlement verified again and again (what a product pays at
      every feature use: the times, product and clock checked, not the signature again);
    - `ed25519_per_s`: `cryptography`'s Ed25519 verify of that entitlement's signature alone.
    """
    import base64
    import json

    from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PublicKey

    from entitle_client import Verifier  # the product team's library (clients/python)
    from entitle_client.testing import TestIssuer

    head, body, signature = entitlement.split(".")
    key = Ed25519PublicKey.from_public_bytes(base64.urlsafe_b64decode(jwks["keys"][0]["x"] + "=="))
    raw_signature, message = base64.urlsafe_b64decode(signature + "=="), f"{head}.{body}".encode()

    def rate(work: Callable[[], object]) -> float:
        count, deadline = 0, time.perf_counter() + seconds
        started = time.perf_counter()
        while time.perf_counter() < deadline:
            for _ in range(100):
                work()
            count += 100
        return count / (time.perf_counter() - started)

    def fresh_rate() -> float:
        """Rounds of distinct entitlements, each verified once by a verifier new to them."""
        claims = json.loads(base64.urlsafe_b64decode(body + "=" * (-len(body) % 4)))
        issuer = TestIssuer(kid="bench-fresh")
        tokens = [issuer.sign({**claims, "jti": f"bench-{n:05d}"}) for n in range(2_000)]
        count, elapsed, deadline = 0, 0.0, time.perf_counter() + seconds
        while time.perf_counter() < deadline:
            verifier = Verifier(issuer.jwks)
            verifier.verify(tokens[0], product=PRODUCT)  # its key and header parsed once, as in a product
            started = time.perf_counter()
            for token in tokens[1:]:
                verifier.verify(token, product=PRODUCT)
            elapsed += time.perf_counter() - started
            count += len(tokens) - 1
        return count / elapsed

    verifier = Verifier(jwks)
    return {
        "fresh_per_s": fresh_rate(),
        "cached_per_s": rate(lambda: verifier.verify(entitlement, product=PRODUCT)),
        "ed25519_per_s": rate(lambda: key.verify(raw_signature, message)),
    }


async def bench_licensing(stack: DevStack, seconds: float, latency_seconds: float) -> dict[str, Any]:
    customer = BenchCustomer(stack, "bench-licensing")
    floor_port = free_port()
    floor = await _floor_process(floor_port)
    try:
        ready = await _prepare(customer, stack.config.extra_env.get("OPERATOR_TOKEN", ""))
        emails, seats_url = ready["emails"], customer.urls["seats"]
        product = {"Authorization": f"Bearer {ready['product_token']}"}
        admin = {"Authorization": f"Bearer {customer.token}"}

        def access(signed: bool) -> Call:
            def call(client: httpx.AsyncClient, n: int) -> Awaitable[httpx.Response]:
                sign = {"signed": "true"} if signed else {}
                params = {"product": PRODUCT, "email": emails[n % len(emails)], **sign}
                return client.get(f"{seats_url}/access", params=params, headers=product)

            return call

        def heartbeat(client: httpx.AsyncClient, n: int) -> Awaitable[httpx.Response]:
            return client.post(f"{seats_url}/leases/{ready['lease_id']}/heartbeat", headers=admin)

        def nothing(client: httpx.AsyncClient, n: int) -> Awaitable[httpx.Response]:
            return client.get(f"http://127.0.0.1:{floor_port}/nothing")

        seats_pid = stack.processes["seats"].pid
        rows: list[dict[str, Any]] = []
        limits = httpx.Limits(max_connections=CONCURRENCY, max_keepalive_connections=CONCURRENCY)
        async with httpx.AsyncClient(timeout=30.0, limits=limits) as client:
            for name, call, pid in (
                ("floor: a route that does nothing", nothing, floor.pid),
                ("GET /access (product client)", access(False), seats_pid),
                ("GET /access?signed=true", access(True), seats_pid),
                ("POST /leases/{id}/heartbeat", heartbeat, seats_pid),
            ):
                await saturated(client, call, min(1.0, seconds), pid)  # warm-up
                full = await saturated(client, call, seconds, pid)
                half = await below_saturation(client, call, full["per_s"] / 2, latency_seconds)
                rows.append({"call": name, **full, "half_rate": half})
                print(
                    f"  licensing {name}: {full['per_s']:.0f}/s, {full['cpu_ms_per_call']:.2f} ms CPU, "
                    f"p99 {half['p99']:.1f} ms at {half['rate']:.0f}/s",
                    flush=True,
                )
            asked = {"product": PRODUCT, "email": emails[0], "signed": "true"}
            signed = (await client.get(f"{seats_url}/access", params=asked, headers=product)).json()
            jwks = (await client.get(f"{seats_url}/.well-known/jwks.json")).json()
        offline = _offline(signed["entitlement"], jwks, min(2.0, seconds))
        print(
            f"  licensing offline: {offline['fresh_per_s']:,.0f} fresh entitlements/s, "
            f"{offline['cached_per_s']:,.0f}/s the same one again (Ed25519 alone {offline['ed25519_per_s']:,.0f}/s)",
            flush=True,
        )
        return {"users": USERS, "concurrency": CONCURRENCY, "online": rows, "offline": offline}
    finally:
        floor.terminate()
        floor.wait(timeout=10)
        await customer.close()
