"""Wiring of the seats service: what it consumes, schedules and serves."""
from __future__ import annotations

import gc

from contracts import topics
from contracts.identity import PersonRegistered, SignedOut
from contracts.subscriptions import (
    ActivationExpired, AdministratorTransferred, CancellationScheduled, CancellationWithdrawn,
    SubscriptionActivated, SubscriptionEnded, SubscriptionPurchased, SubscriptionRenewed,
    TierChanged, TrialStarted,
)
from seats import api, handlers, imports, leases, users
from seats.routes import access as access_routes
from seats.routes import devices as device_routes
from seats.routes import imports as import_routes
from seats.routes import leases as lease_routes
from seats.routes import users as user_routes
from seats.settings import SeatsSettings
from seats.store import metadata
from servicekit.runtime import ServiceRuntime
from servicekit.app import service_app


def build(settings: SeatsSettings | None = None, **overrides) -> ServiceRuntime:
    runtime = ServiceRuntime(settings or SeatsSettings(), metadata, **overrides)

    events = runtime.consumer("seats")
    events.on(SubscriptionPurchased, handlers.open_locked_pool)
    events.on(SubscriptionActivated, handlers.unlock_seats)
    events.on(ActivationExpired, handlers.close_lapsed_pool)
    events.on(CancellationScheduled, handlers.schedule_deprovisioning)
    events.on(CancellationWithdrawn, handlers.withdraw_deprovisioning)
    events.on(SubscriptionEnded, handlers.deprovision)
    events.on(SubscriptionRenewed, handlers.follow_renewal)
    events.on(TierChanged, handlers.follow_tier_change)
    events.on(AdministratorTransferred, handlers.transfer_administration)
    events.on(TrialStarted, handlers.open_trial_pool)
    events.on(PersonRegistered, users.register_person)
    events.on(SignedOut, leases.release_session)
    events.attach(topics.SUBSCRIPTIONS_EVENTS, topics.IDENTITY_EVENTS)

    runtime.scheduler.on(handlers.SEAT_DECREASE, handlers.apply_scheduled_decrease)
    runtime.scheduler.on(imports.IMPORT_CHUNK, imports.import_chunk)

    runtime.add_worker("heap frozen after start-up", _freeze_the_start_up_heap)

    routers = [api.routes(runtime)] + [r.routes(runtime) for r in (
        import_routes, user_routes, lease_routes, device_routes, access_routes)]
    runtime.app = service_app(runtime, *routers, title="Entitle seats",
                                   description="Seat pools, users and invitations, assignments, bulk "
                                               "imports, floating leases, node-locked keys, access.")
    return runtime


async def _freeze_the_start_up_heap() -> None:
    """Once started, the objects of start-up (modules, app, models: most of the heap) leave the
    garbage collector's sight (`gc.freeze`). A full collection otherwise walks all of them: an
    import of 50,000 rows allocates enough to start several, each holding the event loop for
    100-250 ms; frozen, they take a few ms and `/health` keeps answering (issue 11)."""
    gc.freeze()
