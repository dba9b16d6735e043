"""`GET /me/software`: what the signed-in person may use now and through which licence (R40)."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from fastapi import APIRouter
from pydantic import BaseModel, Field

from seats.domain.suspensions import PaymentSuspension, covering
from seats.store.software import MAX_SEATS, HeldKey, HeldLease, Usable
from servicekit.http.deps import CurrentCaller
from servicekit.runtime import Runtime


class LeaseHeld(BaseModel):
    lease_id: str
    acquired_at: datetime
    expires_at: datetime = Field(description="It lapses then unless the product sends a heartbeat (R26).")

    @classmethod
    def of(cls, lease: HeldLease) -> LeaseHeld:
        return cls(**vars(lease))


class DeviceHeld(BaseModel):
    key_id: str
    device_id: str
    device_name: str | None
    activated_at: datetime | None

    @classmethod
    def of(cls, key: HeldKey) -> DeviceHeld:
        return cls(**vars(key))


class PaymentOverdueNotice(BaseModel):
    """What a seat user is told of a suspension: only since when. The invoice, its number and
    its amount are the administrator's business (`GET /subscriptions/{id}/seats` names them)."""

    suspended_at: datetime = Field(description="Since when the subscription's use is suspended.")


LICENCES = {"named_user": "named seat", "floating": "floating pool", "node_locked": "node-locked key"}


class SoftwareItem(BaseModel):
    subscription_id: str
    product: str
    tier: str
    licence_type: str = Field(description="named_user, floating or node_locked.")
    licence: str = Field(description="Through which licence, in words: named seat, floating pool or node-locked key.")
    kind: str | None = Field(
        description="`web` (opened in a browser) or `desktop` (downloaded and installed); null "
        "when the subscription predates the catalogue's product links."
    )
    start_url: str | None = Field(description="Where the product opens (web) or its page (desktop).")
    download_url: str | None = Field(description="Desktop products: where the installer is.")
    modules: list[str] = Field(description="Modules of the tier in force.")
    add_ons: list[str] = Field(description="Add-ons bought with the subscription (R20).")
    trial_ends_at: datetime | None
    assigned: bool = Field(
        description="Holds a seat assignment: a named seat grants access by itself; in a floating "
        "pool it is the right to take a lease, in a node-locked pool to activate a key (R24)."
    )
    activation_key: str | None = Field(
        description="Node-locked: the key kept for them, the one their licence e-mail gave (R41)."
    )
    leases: list[LeaseHeld] = Field(description="Floating seats they hold now (R26).")
    devices: list[DeviceHeld] = Field(description="Devices where they activated a key (R27).")
    payment_overdue: PaymentOverdueNotice | None = Field(
        description="Issue 15: set while billing suspends the subscription's period in force for an "
        "overdue invoice; null otherwise. Meanwhile the product cannot be used through it (access "
        "refused `payment_overdue`, no lease, no device activation, no licence file), although the seat "
        "stays assigned to them: use comes back at once when the invoice is paid. Only the "
        "date is given: the invoice is for the subscription's administrator to settle."
    )

    @classmethod
    def of(cls, usable: Usable, overdue: PaymentSuspension | None = None) -> SoftwareItem:
        software = usable.software
        return cls(
            subscription_id=usable.subscription_id,
            product=usable.product,
            tier=usable.tier,
            licence_type=usable.licence_type,
            licence=LICENCES.get(usable.licence_type, usable.licence_type),
            kind=software.kind if software else None,
            start_url=software.start_url if software else None,
            download_url=software.download_url if software else None,
            modules=list(software.modules) if software else [],
            add_ons=usable.add_ons,
            trial_ends_at=usable.trial_ends_at,
            assigned=usable.assigned,
            activation_key=usable.kept_key,
            leases=[LeaseHeld.of(lease) for lease in usable.leases],
            devices=[DeviceHeld.of(key) for key in usable.keys],
            payment_overdue=PaymentOverdueNotice(suspended_at=overdue.suspended_at) if overdue else None,
        )


class SoftwareView(BaseModel):
    software: list[SoftwareItem]


router = APIRouter(tags=["access"])


@router.get(
    "/me/software",
    response_model=SoftwareView,
    summary='"My software": every product you may use now, and through which licence (R40)',
    description="Who may call: any signed-in person, about themselves only (there is no parameter "
    "naming anyone else). The seats of unlocked subscriptions where the caller, by person id or by "
    f"the e-mail they were invited at, holds an assignment, a live lease or an active key; at most "
    f"{MAX_SEATS}, ordered by product. A subscription suspended for an overdue invoice (issue 15) "
    "is still listed, its `payment_overdue` set: the seat is theirs, but not usable until it is paid.",
)
async def my_software(caller: CurrentCaller, runtime: Runtime) -> Any:
    now = runtime.clock.now()
    async with runtime.uow() as uow:
        found = await uow.software.usable_by(caller.person_id, caller.email, now)
        # Issue 15: one more indexed query, only when something was found.
        suspended = await uow.payment_suspensions.not_ended([u.subscription_id for u in found], now)
    return SoftwareView(software=[SoftwareItem.of(u, covering(suspended, u.subscription_id, now)) for u in found])
