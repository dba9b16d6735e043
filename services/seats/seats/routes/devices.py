"""Node-locked seats (R27): activation keys, the device each is active on, moving a key."""
from __future__ import annotations

from datetime import datetime

from fastapi import APIRouter, Request
from pydantic import BaseModel, Field

from seats import devices
from seats.domain.devices import ActivationKey
from servicekit.auth import Caller
from servicekit.runtime import ServiceRuntime


class ActivationRequest(BaseModel):
    device_id: str = Field(min_length=1, max_length=200, description="A stable id of the device.")
    device_name: str = Field("", max_length=200, description="What the administrator sees.")


class KeyView(BaseModel):
    key_id: str
    active: bool
    device_id: str | None
    device_name: str | None
    activated_at: datetime | None

    @classmethod
    def of(cls, k: ActivationKey) -> "KeyView":
        return cls(key_id=k.key_id, active=k.is_active, device_id=k.device_id, device_name=k.device_name,
                   activated_at=k.activated_at)


class KeysView(BaseModel):
    keys: list[KeyView]


def routes(runtime: ServiceRuntime) -> APIRouter:
    router = APIRouter(prefix="/subscriptions/{subscription_id}/keys", tags=["node-locked seats"])
    authenticated = runtime.authenticated

    @router.get("", summary="Activation keys and the device each is active on (administrator, R27)")
    async def keys(subscription_id: str, caller: Caller = authenticated) -> KeysView:
        async with runtime.uow(subject=subscription_id) as uow:
            return KeysView(keys=[KeyView.of(k) for k in await devices.list_keys(subscription_id, caller, uow)])

    @router.post("/{key_id}/activation", summary="Bind a key to this device; one device at a time (R27)")
    async def activate(subscription_id: str, key_id: str, body: ActivationRequest, request: Request,
                       caller: Caller = authenticated):
        async def act(uow):
            return KeyView.of(await devices.activate(subscription_id, key_id, body.device_id, body.device_name,
                                                     caller, uow))
        return await runtime.command(request, caller, body, act)

    @router.post("/{key_id}/deactivation", summary="Release a key from its device, to move it (R27)")
    async def deactivate(subscription_id: str, key_id: str, request: Request, caller: Caller = authenticated):
        async def act(uow):
            return KeyView.of(await devices.deactivate(subscription_id, key_id, caller, uow))
        return await runtime.command(request, caller, None, act)

    return router
