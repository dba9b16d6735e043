"""Wiring of the identity service: what it consumes, schedules and serves."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from fastapi import APIRouter

from contracts import topics
from contracts.seats import UserInvited
from contracts.subscriptions import SubscriptionPurchased
from identity.adapters import redaction
from identity.api import accounts as accounts_api
from identity.api import billing_details as billing_details_api
from identity.api import documents as documents_api
from identity.api import ops as ops_api
from identity.api import passwords as passwords_api
from identity.api import product_clients as product_clients_api
from identity.api import registration as registration_api
from identity.api import sessions as sessions_api
from identity.handlers import accounts, billing_details, seat_users
from identity.handlers import sessions as sessions_handlers
from identity.handlers.limits import SignInLimits
from identity.handlers.product_clients import TokenGrantLimits
from identity.handlers.registration import VERIFICATION_DEADLINE_JOB
from identity.handlers.sessions import Issuer
from identity.settings import IdentitySettings
from identity.store.tables import metadata
from identity.store.uow import IdentityUnitOfWork
from servicekit.app import service_app
from servicekit.runtime import ServiceRuntime

__all__ = ["build", "metadata"]


def build(settings: IdentitySettings | None = None, **overrides: Any) -> ServiceRuntime[IdentityUnitOfWork]:
    settings = settings or IdentitySettings()
    runtime = ServiceRuntime(settings, metadata, unit_of_work=IdentityUnitOfWork, **overrides)

    # R39: seat users are contacts of the company. Identity's own events are not read back:
    # the kit records ended sessions only for the services that are not identity.
    events = runtime.consumer("identity")
    events.on(UserInvited, seat_users.seat_user_invited)
    events.attach(topics.SEATS_EVENTS)
    # Issue 15: an account without billing details takes those its first order gave (R45).
    events.on(SubscriptionPurchased, billing_details.order_billing_details)
    events.attach(topics.SUBSCRIPTIONS_EVENTS)

    runtime.scheduler.on(VERIFICATION_DEADLINE_JOB, accounts.lapse_verification)
    runtime.add_housekeeping(sessions_handlers.forget_ended_sign_ins)  # R42 rows, 30 days on

    routers: list[APIRouter] = [
        registration_api.router,
        passwords_api.router,
        sessions_api.router,
        accounts_api.router,
        billing_details_api.router,
        documents_api.router,
        ops_api.router,
        documents_api.ops_router,
        product_clients_api.router,
        product_clients_api.oauth_router,
    ]
    if runtime.on_test_clock:  # a production service never hands out a live verification link
        routers.append(ops_api.test_stack_router)
    app = service_app(
        runtime, *routers, title="Entitle identity", description="People, accounts, contacts and access tokens."
    )
    app.state.portal_url = settings.resolved_portal_url()  # never a request's Host header
    app.state.issuer = Issuer(settings.token_secret, timedelta(seconds=settings.token_ttl_seconds))
    app.state.sign_in_limits = SignInLimits.of(settings)
    app.state.token_grant_limits = TokenGrantLimits.default()
    sessions_api.describe_sign_in_limits(app, settings)
    redaction.install()
    return runtime
