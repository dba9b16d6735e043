"""Node-locked seats (R27): activation keys, the device each is active on, moving a key."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, Any

from fastapi import APIRouter, Depends, Request
from pydantic import BaseModel, Field

from seats.api.deps import SettingsDep
from seats.api.schemas import ADMINISTRATOR, PAGINATED, SEAT_HOLDER, command_answer, page_answer
from seats.domain.devices import ActivationKey
from seats.handlers import devices
from seats.store.uow import SeatsUnitOfWork
from servicekit.http.deps import Commands, CurrentCaller
from servicekit.http.fields import Line
from servicekit.http.pagination import PageRequest, page_request
from servicekit.runtime import Runtime


class ActivationRequest(BaseModel):
    device_id: Line = Field(
        min_length=1,
        max_length=200,
        description="The product's fingerprint of the device: a stable id the product computes "
        "(the client library's documented recipe, or an override for containers and virtual "
        "machines); one line, at most 200 characters. The online check answers about it "
        "(`GET /access?device_id=`).",
    )
    device_name: Line = Field("", max_length=200, description="What the administrator sees; one line.")


class KeyView(BaseModel):
    key_id: str
    active: bool
    device_id: str | None
    device_name: str | None
    activated_at: datetime | None
    activated_by: str | None = Field(description="Person id of who activated it: it is theirs while active.")

    @classmethod
    def of(cls, k: ActivationKey) -> KeyView:
        return cls(
            key_id=k.key_id,
            active=k.is_active,
            device_id=k.device_id,
            device_name=k.device_name,
            activated_at=k.activated_at,
            activated_by=k.person_id,
        )


class KeysView(BaseModel):
    keys: list[KeyView]


router = APIRouter(prefix="/subscriptions/{subscription_id}/keys", tags=["node-locked seats"])


@router.get(
    "",
    response_model=KeysView,
    summary="Activation keys, the device each is active on and who activated it (R27)",
    description=ADMINISTRATOR + PAGINATED,
)
async def keys(
    request: Request,
    subscription_id: str,
    page: Annotated[PageRequest, Depends(page_request)],
    caller: CurrentCaller,
    runtime: Runtime,
) -> Any:
    async with runtime.uow(subject=subscription_id) as uow:
        found = await devices.list_keys(subscription_id, caller, uow, page)
    return page_answer(
        request,
        page,
        found,
        lambda k: (k.created_at, k.key_id),
        lambda shown: KeysView(keys=[KeyView.of(k) for k in shown]),
    )


@router.post(
    "/{key_id}/activation",
    response_model=command_answer(KeyView),
    summary="Bind a key to this device; one device at a time (R27)",
    description=SEAT_HOLDER + " One person holds at most one key per device, and at most the "
    "pool's `keys_per_person` keys at once (PUT .../seats/policy). While billing suspends the pool's "
    "term for an overdue invoice, 403 `payment_overdue` (issue 15).",
)
async def activate(
    subscription_id: str,
    key_id: str,
    body: ActivationRequest,
    request: Request,
    caller: CurrentCaller,
    commands: Commands,
) -> Any:
    async def act(uow: SeatsUnitOfWork) -> KeyView:
        return KeyView.of(
            await devices.activate(subscription_id, key_id, body.device_id, body.device_name, caller, uow)
        )

    return await commands.run(request, caller, body, act)


@router.post(
    "/{key_id}/deactivation",
    response_model=command_answer(KeyView),
    summary="Release a key from its device, to move it: a device reset (R27)",
    description="Who may call: the person who activated the key, or the subscription's "
    "administrator; to anyone else the key (or the subscription) does not exist (404). The "
    "administrator resets any device of the subscription; the person who activated a key resets "
    "their own at most `SEATS_DEVICE_RESETS_PER_30_DAYS` times (3 by default) in any 30 days, "
    "then 429 `device_resets_exceeded` with Retry-After.",
)
async def deactivate(
    subscription_id: str,
    key_id: str,
    request: Request,
    caller: CurrentCaller,
    commands: Commands,
    settings: SettingsDep,
) -> Any:
    async def act(uow: SeatsUnitOfWork) -> KeyView:
        return KeyView.of(
            await devices.deactivate(subscription_id, key_id, caller, uow, settings.device_resets_per_30_days)
        )

    return await commands.run(request, caller, None, act)
