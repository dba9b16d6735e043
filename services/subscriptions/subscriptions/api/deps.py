"""What the subscriptions routes need besides the kit's dependencies: the catalogue and the
portal URL (`app.py` puts them on `app.state`), and the subscription a caller administers."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import Depends

from servicekit.http.auth import Caller
from servicekit.http.deps import from_app_state
from servicekit.runtime import ServiceRuntime
from subscriptions import domain
from subscriptions.adapters.catalogue import Catalogue

CatalogueDep = Annotated[Catalogue, Depends(from_app_state("catalogue"))]
"""The product catalogue the service started with (R9)."""

PortalUrl = Annotated[str, Depends(from_app_state("portal_url"))]
"""The base of the links in agreement and amendment e-mails (`SUBSCRIPTIONS_PORTAL_URL`)."""


async def administered(runtime: ServiceRuntime[Any], subscription_id: str, caller: Caller) -> domain.Subscription:
    """R6: the subscription, if the caller administers it for their account; 404 otherwise."""
    async with runtime.uow() as uow:
        subscription: domain.Subscription = await uow.subscriptions.get(subscription_id)
    subscription.ensure_administered_by(caller)
    return subscription
