"""Log lines, each tagged with the service and with what it was doing: JSON or plain text.

`LOG_FORMAT=json` (the default) writes one JSON object a line, for a log collector;
`LOG_FORMAT=text` writes readable lines, for a person at a console (`make run` does).
Either way a line carries the fields bound by `bind()` for the work in hand: the correlation
id of the HTTP request, consumed event or due job, and that event's or job's own ids.
"""

from __future__ import annotations

import asyncio
import contextlib
import contextvars
import logging
import socket
import sys
from collections.abc import Iterator, Mapping
from types import MappingProxyType
from typing import Protocol, TextIO

import uvicorn
from fastapi import FastAPI
from pythonjsonlogger.core import RESERVED_ATTRS
from pythonjsonlogger.json import JsonFormatter

# Never mutated: bind() sets a new mapping, so the shared default is read-only.
_context: contextvars.ContextVar[Mapping[str, str]] = contextvars.ContextVar(
    "log_context", default=MappingProxyType({})
)


@contextlib.contextmanager
def bind(**fields: str | None) -> Iterator[None]:
    """Tag every log line written inside (in this task and the tasks it starts) with `fields`."""
    token = _context.set({**_context.get(), **{k: str(v) for k, v in fields.items() if v is not None}})
    try:
        yield
    finally:
        _context.reset(token)


def current_correlation_id() -> str | None:
    return _context.get().get("correlation_id")


class _WorkInHand(logging.Filter):
    """Copies the bound fields onto each record, where both formatters find them."""

    def filter(self, record: logging.LogRecord) -> bool:
        for key, value in _context.get().items():
            record.__dict__.setdefault(key, value)
        record.__dict__.setdefault("correlation_id", None)
        return True


class _TextFormatter(logging.Formatter):
    def format(self, record: logging.LogRecord) -> str:
        line = super().format(record)
        correlation = getattr(record, "correlation_id", None)
        return f"{line} [{correlation}]" if correlation else line


def formatter(service: str, log_format: str) -> logging.Formatter:
    if log_format == "text":
        return _TextFormatter(f"%(asctime)s %(levelname)-7s {service} %(name)s: %(message)s", "%H:%M:%S")
    return JsonFormatter(
        ["levelname", "name", "message"],
        timestamp="time",
        static_fields={"service": service},
        rename_fields={"levelname": "level", "name": "logger", "exc_info": "exception"},
        reserved_attrs=[*RESERVED_ATTRS, "color_message"],
    )  # uvicorn's copy of the message, in ANSI colours


def configure_logging(
    service: str, level: str = "INFO", log_format: str = "json", stream: TextIO | None = None
) -> None:
    handler = logging.StreamHandler(stream or sys.stdout)
    handler.addFilter(_WorkInHand())
    handler.setFormatter(formatter(service, log_format))
    root = logging.getLogger()
    root.handlers[:] = [handler]
    root.setLevel(level)
    # FastStream's broker logger says "Received" and "Processed" for every message: two lines
    # per event at INFO. The consumer logs what matters (retries, dead letters) itself.
    for noisy in ("aiokafka", "uvicorn.access", f"{service}.broker"):
        logging.getLogger(noisy).setLevel(logging.WARNING)


class _Consumers(Protocol):
    """What the server stops on SIGTERM (a `ServiceRuntime`, which this layer does not import)."""

    async def stop_consuming(self) -> None: ...


class _ServeSettings(Protocol):
    """What `serve` reads of a service's settings (`ServiceSettings`)."""

    @property
    def service_name(self) -> str: ...
    @property
    def log_level(self) -> str: ...
    @property
    def log_format(self) -> str: ...
    @property
    def http_host(self) -> str: ...
    @property
    def http_port(self) -> int: ...


class DrainingServer(uvicorn.Server):
    """uvicorn, but a SIGTERM also stops the consumers at once, while the HTTP requests in
    flight finish: no message is started during that drain. The lifespan exit that follows
    (`ServiceRuntime.stop`) then waits for the message in hand."""

    def __init__(self, config: uvicorn.Config, runtime: _Consumers | None = None) -> None:
        super().__init__(config)
        self._runtime = runtime

    async def shutdown(self, sockets: list[socket.socket] | None = None) -> None:
        if self._runtime is None:
            await super().shutdown(sockets)
            return
        consumers_stopped = asyncio.ensure_future(self._runtime.stop_consuming())
        await super().shutdown(sockets)
        await consumers_stopped


def serve(app: FastAPI, settings: _ServeSettings) -> None:
    """Run one service's HTTP app (and with it, its consumers, relay and scheduler)."""
    configure_logging(settings.service_name, settings.log_level, settings.log_format)
    # uvloop and httptools: the event loop and HTTP parser in C roughly halve the CPU each
    # request and each consumed event costs (measured with `make bench`).
    # Idle connections are kept longer than clients (httpx: 5 s) and load balancers (often
    # 60 s) keep theirs, so the client always closes first. At uvicorn's 5 s both ends timed
    # out together, and a request sent on a connection the server was closing failed with
    # "Server disconnected without sending a response" (seen in the test clock's calls).
    config = uvicorn.Config(
        app,
        host=settings.http_host,
        port=settings.http_port,
        log_config=None,
        loop="uvloop",
        http="httptools",
        access_log=False,
        date_header=False,  # the service's own clock dates its answers (servicekit.http.middleware)
        timeout_graceful_shutdown=30,
        timeout_keep_alive=75,
    )
    DrainingServer(config, getattr(app.state, "runtime", None)).run()
