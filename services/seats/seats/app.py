"""Wiring of the seats service: what it consumes, schedules and serves."""

from __future__ import annotations

import asyncio
import gc
from collections.abc import Awaitable, Callable
from typing import Any

from contracts import topics
from contracts.billing import SubscriptionsReinstated, SubscriptionsSuspended
from contracts.identity import PersonRegistered, SignedOut
from contracts.subscriptions import (
    ActivationExpired,
    AddonAdded,
    AdministratorTransferred,
    CancellationScheduled,
    CancellationWithdrawn,
    GraceStarted,
    SubscriptionActivated,
    SubscriptionEnded,
    SubscriptionPurchased,
    SubscriptionRenewed,
    TierChanged,
    TrialEnded,
    TrialStarted,
)
from seats.adapters.importfiles import ImportParser
from seats.api import access as access_api
from seats.api import devices as devices_api
from seats.api import entitlements as entitlements_api
from seats.api import imports as imports_api
from seats.api import leases as leases_api
from seats.api import licences as licences_api
from seats.api import pools as pools_api
from seats.api import software as software_api
from seats.api import users as users_api
from seats.handlers import fallbacks, imports, leases, pools, suspensions, users
from seats.settings import SeatsSettings
from seats.store.tables import metadata
from seats.store.uow import SeatsUnitOfWork
from servicekit.app import service_app
from servicekit.runtime import ServiceRuntime

__all__ = ["build", "metadata"]


def build(settings: SeatsSettings | None = None, **overrides: Any) -> ServiceRuntime[SeatsUnitOfWork]:
    settings = settings or SeatsSettings()
    runtime = ServiceRuntime(settings, metadata, unit_of_work=SeatsUnitOfWork, **overrides)

    events = runtime.consumer("seats")
    events.on(SubscriptionPurchased, pools.open_locked_pool)
    events.on(SubscriptionActivated, pools.unlock_seats)
    events.on(ActivationExpired, pools.close_lapsed_pool)
    events.on(CancellationScheduled, pools.schedule_deprovisioning)
    events.on(CancellationWithdrawn, pools.withdraw_deprovisioning)
    events.on(SubscriptionEnded, pools.deprovision)
    events.on(GraceStarted, pools.suspend_cancelled_term)
    events.on(SubscriptionRenewed, pools.follow_renewal)
    events.on(TierChanged, pools.follow_tier_change)
    events.on(AddonAdded, pools.add_addon)
    events.on(AdministratorTransferred, pools.transfer_administration)
    events.on(TrialStarted, pools.open_trial_pool)
    events.on(TrialEnded, fallbacks.trial_fell_back)  # R43
    events.on(PersonRegistered, users.register_person)
    events.on(SignedOut, leases.release_session)
    # Issue 15, item 6: no seat in force while billing suspends its term for an overdue invoice.
    # Billing's other events on that topic have no handler here: the consumer skips them and
    # commits past them (`EventConsumer._parse`), it does not dead-letter them.
    events.on(SubscriptionsSuspended, suspensions.suspend_for_overdue_invoice)
    events.on(SubscriptionsReinstated, suspensions.reinstate_after_invoice_settled)
    events.attach(topics.SUBSCRIPTIONS_EVENTS, topics.IDENTITY_EVENTS, topics.BILLING_EVENTS)

    runtime.scheduler.on(pools.SEAT_DECREASE, pools.apply_scheduled_decrease)
    runtime.scheduler.on(imports.IMPORT_CHUNK, imports.import_chunk)
    runtime.scheduler.on(leases.LEASE_WATCH, leases.watch)  # a lease lapsed, or is over (issue 14)

    runtime.add_worker("heap frozen after start-up", _freeze_the_start_up_heap)
    parser = ImportParser()
    runtime.add_worker("import parser", _closing(parser))

    app = service_app(
        runtime,
        pools_api.router,
        imports_api.router,
        users_api.router,
        leases_api.router,
        devices_api.router,
        access_api.router,
        entitlements_api.router,
        licences_api.router,
        software_api.router,
        title="Entitle seats",
        description="Seat pools, users and invitations, assignments, bulk "
        "imports, floating leases, node-locked keys, access.",
    )
    app.state.invitations = settings.invitations()
    app.state.import_parser = parser
    app.state.signer = settings.signer()  # entitlements, licence files, JWKS (issue 14)
    return runtime


def _closing(parser: ImportParser) -> Callable[[], Awaitable[None]]:
    async def close_parser() -> None:  # the parser process ends with the service
        try:
            await asyncio.Event().wait()
        finally:
            parser.close()

    return close_parser


async def _freeze_the_start_up_heap() -> None:
    """Once started, the objects of start-up (modules, app, models: most of the heap) leave the
    garbage collector's sight (`gc.freeze`). A full collection otherwise walks all of them: an
    import of 50,000 rows allocates enough to start several, each holding the event loop for
    100-250 ms; frozen, they take a few ms and `/health` keeps answering (issue 11)."""
    gc.freeze()
