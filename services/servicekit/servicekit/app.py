"""The FastAPI app of a service: its routers around the kit's middleware, error format,
OpenAPI documentation and operator routes, with the runtime's parts where the routes'
dependencies (`servicekit.http.deps`, `servicekit.runtime.Runtime`) look for them.

    runtime = ServiceRuntime(settings, metadata, unit_of_work=SeatsUnitOfWork)
    app = service_app(runtime, users.router, leases.router, title=..., description=...)
"""

from __future__ import annotations

from collections.abc import Mapping

from fastapi import APIRouter, FastAPI

from servicekit.http.errors import install_error_handlers
from servicekit.http.middleware import BodyLimit, RequestContext
from servicekit.http.openapi import document_errors
from servicekit.operations import clock, health, outbox
from servicekit.runtime import ServiceRuntime


def service_app(
    runtime: ServiceRuntime,
    *routers: APIRouter,
    title: str,
    description: str,
    larger_bodies: Mapping[str, int] | None = None,
) -> FastAPI:
    """`larger_bodies`: exact paths whose request body may be larger than `MAX_REQUEST_BYTES`
    (a route taking a file as its body), with their own limit."""
    app = FastAPI(title=title, description=description, version="0.1.0", lifespan=runtime.lifespan)
    # What the dependencies read: the runtime for the kit's and the service's routes (and for
    # serve(): a SIGTERM stops the consumers before HTTP drains), and its narrow parts.
    app.state.runtime = runtime
    app.state.authenticator = runtime.authenticator
    app.state.operators = runtime.operators
    app.state.commands = runtime.commands
    settings = runtime.settings
    app.add_middleware(
        BodyLimit,
        max_bytes=settings.max_request_bytes,
        max_upload_bytes=settings.max_upload_bytes,
        larger=larger_bodies,
    )
    # Outermost: a 413 is counted and tagged; every answer is dated by the service's clock.
    app.add_middleware(RequestContext, metrics=runtime.metrics, clock=runtime.clock)
    install_error_handlers(app)
    document_errors(app)
    app.include_router(health.router)
    app.include_router(outbox.router)
    if runtime.on_test_clock:  # a production service has no route that moves time
        app.include_router(clock.router)
    for router in routers:
        app.include_router(router)
    runtime.app = app
    return app
