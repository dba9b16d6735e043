"""Every answer says what it cost (`Server-Timing`): the time in the portal, the time waiting on
the owning services and how many calls it made — the figures `make bench` reads (issue 13).
No rule of DOMAIN.md is at stake; what is checked is that the count is the truth and that the
header leaks nothing (no token, no service address, no path)."""

from __future__ import annotations

import asyncio
import re

import httpx
import pytest

from portal.adapters.upstream import UPSTREAM_TALLY, Upstream, UpstreamTally
from portal.api.timing import server_timing

from .conftest import ADA, subscription

TIMING = re.compile(r'^app;dur=(\d+\.\d), upstream;dur=(\d+\.\d);desc="(\d+) calls?"$')


def timing(answer: httpx.Response) -> tuple[float, float, int]:
    found = TIMING.fullmatch(answer.headers["server-timing"])
    assert found, answer.headers["server-timing"]
    return float(found[1]), float(found[2]), int(found[3])


async def test_the_overview_counts_exactly_the_calls_the_services_saw(portal):
    """R35's overview reads the list, then each row's pool at once (1 + 5 calls, and whatever
    else the page reads, e.g. the catalogue for its names): the header says how many went out."""
    for n in range(5):
        portal.fakes.subscriptions[f"s-{n}"] = subscription(f"s-{n}", ADA)
        portal.fakes.pools[f"s-{n}"] = "unlocked"
    await portal.sign_in()
    before = len(portal.fakes.requests)

    page = await portal.get("/subscriptions")

    assert page.status_code == 200
    app_ms, upstream_ms, calls = timing(page)
    assert calls == len(portal.fakes.requests) - before >= 6
    assert 0 <= upstream_ms <= app_ms


async def test_the_sign_in_counts_its_calls_too_and_a_page_without_any_says_zero(portal):
    form = await portal.get("/sign-in")
    assert timing(form)[2] == 0
    before = len(portal.fakes.requests)

    signed_in = await portal.sign_in()  # POST /tokens, then the landing's GET /subscriptions?limit=1

    assert signed_in.status_code == 303
    assert timing(signed_in)[2] == len(portal.fakes.requests) - before == 2


async def test_a_refused_page_and_a_static_file_carry_it_as_well(portal):
    await portal.sign_in()
    before = len(portal.fakes.requests)
    missing = await portal.get("/subscriptions/s-unknown/agreement")
    assert missing.status_code == 404
    assert timing(missing)[2] == len(portal.fakes.requests) - before

    style = await portal.get("/static/portal.css")
    assert style.status_code == 200 and timing(style)[2] == 0


async def test_the_header_holds_no_token_no_address_and_no_path(portal):
    portal.fakes.subscriptions["s-1"] = subscription("s-1", ADA)
    portal.fakes.pools["s-1"] = "unlocked"
    await portal.sign_in()
    page = await portal.get("/subscriptions")
    header = page.headers["server-timing"]
    token = portal.fakes.issued[-1]

    assert token not in header and "Bearer" not in header
    assert "http" not in header and "/" not in header and "seats" not in header
    assert len(page.headers.get_list("server-timing")) == 1


def test_calls_made_at_once_are_waited_once_not_summed():
    """Two calls of 50 ms in parallel are 50 ms of waiting, the time the person waits; one
    after the other they are 100 ms."""
    now = [0.0]
    tally = UpstreamTally(clock=lambda: now[0])
    tally.started()
    tally.started()
    now[0] += 0.05
    tally.ended()
    tally.ended()
    assert (tally.calls, tally.seconds) == (2, 0.05)
    for _ in range(2):
        tally.started()
        now[0] += 0.05
        tally.ended()
    assert tally.calls == 4 and abs(tally.seconds - 0.15) < 1e-9


async def test_tasks_a_page_gathers_add_to_the_request_s_tally():
    tally = UpstreamTally()
    token = UPSTREAM_TALLY.set(tally)

    async def call() -> None:
        t = UPSTREAM_TALLY.get()
        assert t is tally
        t.started()
        t.ended()

    try:
        await asyncio.gather(call(), call())
    finally:
        UPSTREAM_TALLY.reset(token)
    assert tally.calls == 2


@pytest.mark.parametrize(("calls", "desc"), [(0, '"0 calls"'), (1, '"1 call"'), (3, '"3 calls"')])
def test_the_header_format(calls, desc):
    tally = UpstreamTally()
    for _ in range(calls):
        tally.started()
        tally.ended()
    value = server_timing(0.0123, tally)
    assert value.startswith("app;dur=12.3, upstream;dur=")
    assert value.endswith(f";desc={desc}")


async def test_the_same_read_twice_in_one_request_is_asked_once_and_a_command_refreshes_it():
    """A page needing the catalogue for its names and for its offer asks once; what it reads
    after a command it reads afresh; outside a request (no tally) nothing is kept."""
    seen: list[str] = []

    def answer(request: httpx.Request) -> httpx.Response:
        seen.append(f"{request.method} {request.url.path}?{request.url.query.decode()}")
        return httpx.Response(200, json={"n": len(seen)})

    catalogue = Upstream("subscriptions", "http://subscriptions", 5.0, httpx.MockTransport(answer))
    tally = UpstreamTally()
    token = UPSTREAM_TALLY.set(tally)
    try:
        first = await catalogue.get("/catalogue", "t")
        again = await catalogue.get("/catalogue", "t")
        other_query = await catalogue.get("/catalogue", "t", {"limit": 1})
        await catalogue.command("POST", "/subscriptions", "t", "key-1", {})
        after_command = await catalogue.get("/catalogue", "t")
    finally:
        UPSTREAM_TALLY.reset(token)
    await catalogue.get("/catalogue", "t")
    await catalogue.get("/catalogue", "t")
    await catalogue.aclose()

    assert first.body == again.body == {"n": 1}
    assert other_query.body == {"n": 2} and after_command.body == {"n": 4}
    assert tally.calls == 4
    assert seen == [
        "GET /catalogue?",
        "GET /catalogue?limit=1",
        "POST /subscriptions?",
        "GET /catalogue?",
        "GET /catalogue?",
        "GET /catalogue?",
    ]
