"""What each answer cost, in its `Server-Timing` header (W3C Server Timing), so a browser's
developer tools and `make bench` (`bench/portal.py`) see it without a profiler:

    Server-Timing: app;dur=41.2, upstream;dur=35.8;desc="3 calls"

`app` is the whole request inside the portal, until its answer starts; `upstream` is the wall
time it waited on the owning services and how many calls it made (`UpstreamTally`, counted in
`Upstream._send`). Only durations and a count: never a path, a service's address or a token."""

from __future__ import annotations

import time

from starlette.types import ASGIApp, Message, Receive, Scope, Send

from portal.adapters.upstream import UPSTREAM_TALLY, UpstreamTally


def server_timing(app_seconds: float, tally: UpstreamTally) -> str:
    return (
        f"app;dur={app_seconds * 1000:.1f}, "
        f'upstream;dur={tally.seconds * 1000:.1f};desc="{tally.calls} call{"" if tally.calls == 1 else "s"}"'
    )


class ServerTiming:
    """Pure ASGI (no extra task per request): the tally is set in the request's own context,
    which every task the page starts copies."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        started = time.perf_counter()
        tally = UpstreamTally()
        token = UPSTREAM_TALLY.set(tally)

        async def send_with_timing(message: Message) -> None:
            if message["type"] == "http.response.start":
                value = server_timing(time.perf_counter() - started, tally).encode()
                message = {**message, "headers": [*message.get("headers", ()), (b"server-timing", value)]}
            await send(message)

        try:
            await self.app(scope, receive, send_with_timing)
        finally:
            UPSTREAM_TALLY.reset(token)
