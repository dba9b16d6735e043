"""HTTP commands and queries of the subscriptions service."""
from __future__ import annotations

from fastapi import APIRouter

from servicekit.http.auth import Caller
from servicekit.runtime import ServiceRuntime
from subscriptions import domain
from subscriptions.catalogue import Catalogue
from subscriptions.store import SubscriptionRepository


def routes(runtime: ServiceRuntime, catalogue: Catalogue, portal_url: str) -> list[APIRouter]:
    from subscriptions.api import changes, ops, orders
    return [orders.routes(runtime, catalogue, portal_url), changes.routes(runtime, catalogue, portal_url),
            ops.routes(runtime, catalogue, portal_url)]


async def administered(runtime: ServiceRuntime, subscription_id: str, caller: Caller) -> domain.Subscription:
    """R6: the subscription, if the caller administers it for their account; 404 otherwise."""
    async with runtime.db.connect() as conn:
        subscription = await SubscriptionRepository(conn).get(subscription_id)
    subscription.ensure_administered_by(caller)
    return subscription
