"""Wiring of the portal: the pages it serves, its static files, and the owning services it
calls. It consumes no event and publishes none: its runtime starts no broker client."""

from __future__ import annotations

import asyncio
import logging
from importlib.resources import files
from typing import Any

import httpx
from fastapi.staticfiles import StaticFiles

from portal.adapters.rendering import Templates
from portal.adapters.upstream import UpstreamServices
from portal.api import (
    billing_details,
    buy,
    company,
    direct_debit,
    documents,
    imports,
    invitations,
    invoices,
    manage,
    passwords,
    people,
    registration,
    sessions,
    software,
    subscriptions,
    timing,
)
from portal.api.errors import SecurityHeaders, install_page_errors
from portal.settings import PortalSettings
from portal.store.tables import metadata
from portal.store.uow import PortalUnitOfWork
from servicekit.app import service_app
from servicekit.runtime import ServiceRuntime

__all__ = ["PortalRuntime", "build", "metadata"]

log = logging.getLogger("portal")


class PortalRuntime(ServiceRuntime[PortalUnitOfWork]):
    """The kit's runtime without Kafka (the portal reads and commands over HTTP only): its
    database, housekeeping (expired sessions pruned too) and the clients of the owning services."""

    upstream: UpstreamServices

    async def start(self) -> None:
        self.refuse_unsafe_configuration()
        await self.migrate(check_only=not self.settings.migrate_on_start)
        self._tasks.append(asyncio.create_task(self._keep_house(), name="housekeeping"))
        log.info("%s started", self.name)

    async def stop(self) -> None:
        for task in self._tasks:
            task.cancel()
        await asyncio.gather(*self._tasks, return_exceptions=True)
        await self.upstream.aclose()
        await self.db.dispose()
        log.info("%s stopped", self.name)

    async def housekeeping(self) -> None:
        await super().housekeeping()
        async with self.uow() as uow:
            await uow.sessions.prune(self.clock.now())
            await uow.commit()

    async def readiness(self) -> dict[str, bool]:
        try:
            await self.db.ping()
            return {"database": True}
        except Exception:  # noqa: BLE001 - health reports any failure as down
            return {"database": False}


def build(
    settings: PortalSettings | None = None, *, transport: httpx.AsyncBaseTransport | None = None, **overrides: Any
) -> PortalRuntime:
    """`transport`: how the owning services are reached (a test's fake services)."""
    settings = settings or PortalSettings()
    runtime = PortalRuntime(settings, metadata, unit_of_work=PortalUnitOfWork, **overrides)
    runtime.upstream = UpstreamServices(settings.upstream_urls(), settings.upstream_timeout_seconds, transport)

    app = service_app(
        runtime,
        sessions.router,
        registration.router,
        passwords.router,
        subscriptions.router,
        manage.router,
        people.router,
        imports.router,
        software.router,
        invitations.router,
        company.router,
        documents.router,
        billing_details.router,
        direct_debit.router,
        invoices.router,
        buy.router,
        title="Entitle portal",
        description="The browser's pages over the services' APIs.",
    )
    app.state.upstream = runtime.upstream
    app.state.templates = Templates()
    app.state.public_url = settings.resolved_public_url()
    app.mount("/static", StaticFiles(directory=str(files("portal") / "static")), name="static")
    app.add_middleware(SecurityHeaders)
    app.add_middleware(timing.ServerTiming)  # outermost of the portal's own: the whole page's cost
    install_page_errors(app)
    return runtime
