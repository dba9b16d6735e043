"""Floating seats (R26): take a lease at sign-in, heartbeat while in use (reviving it within a
window after a missed one), borrow it for offline work, release it at the end."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, Any

from fastapi import APIRouter, Depends, Path, Request
from pydantic import AwareDatetime, BaseModel, Field

from seats.adapters.signing import EntitlementSigner
from seats.api.deps import SettingsDep, SignerDep
from seats.api.schemas import ADMINISTRATOR, PAGINATED, SEAT_HOLDER, command_answer
from seats.domain.leases import Lease
from seats.handlers import leases
from seats.handlers.access import lease_entitlement
from seats.store.uow import SeatsUnitOfWork
from servicekit.http.deps import Commands, CurrentCaller
from servicekit.http.pagination import PageRequest, page_request, paged
from servicekit.runtime import Runtime

HOLDER = "Who may call: the person holding the lease; to anyone else it does not exist (404)."
PRODUCT = Annotated[str, Path(min_length=1, max_length=64, pattern=r"^[A-Za-z0-9_.-]+$", description="Product code.")]


class LeaseView(BaseModel):
    lease_id: str
    subscription_id: str
    product: str
    person_id: str
    session_id: str | None
    acquired_at: datetime
    expires_at: datetime = Field(description="When it lapses without a heartbeat (borrowed: the borrow's end).")
    released_at: datetime | None
    borrowed_until: datetime | None = Field(description="Borrowed for offline work until then: no heartbeat needed.")
    revivable_until: datetime | None = Field(
        description="After a missed heartbeat, the holder's heartbeat revives the lease until then if a "
        "seat is still free; null once released."
    )
    entitlement: str | None = Field(
        None, description="The signed entitlement of this lease (compact JWS), valid until `expires_at`."
    )

    @classmethod
    def of(cls, lease: Lease) -> LeaseView:
        return cls(
            lease_id=lease.lease_id,
            subscription_id=lease.subscription_id,
            product=lease.product,
            person_id=lease.person_id,
            session_id=lease.session_id,
            acquired_at=lease.acquired_at,
            expires_at=lease.expires_at,
            released_at=lease.released_at,
            borrowed_until=lease.borrowed_until,
            revivable_until=None if lease.released_at is not None else lease.revive_deadline,
            entitlement=None,
        )


async def signed(lease: Lease, uow: SeatsUnitOfWork, signer: EntitlementSigner) -> LeaseView:
    """The lease with its entitlement, signed (issue 14): what a product keeps for offline use."""
    entitlement = await lease_entitlement(uow, lease.lease_id, lease.product, signer)
    return LeaseView.of(lease).model_copy(update={"entitlement": entitlement})


class BorrowRequest(BaseModel):
    until: AwareDatetime = Field(
        description="Borrow until then (with a time zone): at most `SEATS_LEASE_BORROW_MAX_DAYS` "
        "(7 by default) from now and never past the subscription's term end."
    )


router = APIRouter(tags=["floating seats"])

_TAKE = (
    " A listed user without an assignment is refused (403 `no_seat_assigned`, R24); with every "
    "seat in use, 409 `no_free_seat`; while billing suspends the pool's term for an overdue invoice, "
    "403 `payment_overdue` (issue 15). The lease is bound to the token's sign-in (`sid`): signing "
    "out releases it (a borrowed one excepted), refreshing the token does not."
)


@router.post(
    "/products/{product}/leases",
    status_code=201,
    response_model=command_answer(LeaseView),
    summary="Take a floating seat of a product, at sign-in (R26)",
    description="Who may call: a person assigned to a floating pool of the product. The seat comes "
    "from the pool of the best tier with a free seat, then the one with most free seats; a pool "
    "suspended for an overdue invoice offers none." + _TAKE,
)
async def acquire_for_product(
    product: PRODUCT,
    request: Request,
    caller: CurrentCaller,
    commands: Commands,
    settings: SettingsDep,
    signer: SignerDep,
) -> Any:
    async def act(uow: SeatsUnitOfWork) -> LeaseView:
        lease = await leases.acquire_for_product(product, caller, caller.session_id, uow, settings.lease_policy())
        return await signed(lease, uow, signer)

    return await commands.run(request, caller, None, act, status_code=201)


@router.post(
    "/subscriptions/{subscription_id}/leases",
    status_code=201,
    response_model=command_answer(LeaseView),
    summary="Take a floating seat for one hour (R26)",
    description=SEAT_HOLDER + _TAKE,
)
async def acquire(
    subscription_id: str,
    request: Request,
    caller: CurrentCaller,
    commands: Commands,
    settings: SettingsDep,
    signer: SignerDep,
) -> Any:
    async def act(uow: SeatsUnitOfWork) -> LeaseView:
        # The token's session (`sid`): sign-out releases that session's leases.
        lease = await leases.acquire(subscription_id, caller, caller.session_id, uow, settings.lease_policy())
        return await signed(lease, uow, signer)

    return await commands.run(request, caller, None, act, status_code=201)


@router.get(
    "/subscriptions/{subscription_id}/leases",
    response_model=list[LeaseView],
    summary="The floating seats in use now, oldest first (R26)",
    description=ADMINISTRATOR + PAGINATED,
)
async def in_use(
    request: Request,
    subscription_id: str,
    page: Annotated[PageRequest, Depends(page_request)],
    caller: CurrentCaller,
    runtime: Runtime,
) -> Any:
    async with runtime.uow(subject=subscription_id) as uow:
        found = await leases.live_leases(subscription_id, caller, page, uow)
    return paged(request, page, found, lambda lease: (lease.acquired_at, lease.lease_id), LeaseView.of)


@router.post(
    "/leases/{lease_id}/heartbeat",
    response_model=command_answer(LeaseView),
    summary="Still in use: the lease runs an hour from now (R26)",
    description=HOLDER + " After a missed heartbeat, until `revivable_until` (`SEATS_LEASE_REVIVE_SECONDS` "
    "past the expiry, an hour by default), a heartbeat revives the lease if a seat is still free (409 "
    "`no_free_seat` otherwise); later, 409 `lease_expired`. A borrowed lease keeps its borrow's end. "
    "While billing suspends the pool's term for an overdue invoice, 403 `payment_overdue` (issue 15): "
    "the lease is not revoked, it lapses, and a heartbeat within its revive window once the invoice "
    "is paid takes it back.",
)
async def heartbeat(
    lease_id: str,
    request: Request,
    caller: CurrentCaller,
    commands: Commands,
    settings: SettingsDep,
    signer: SignerDep,
) -> Any:
    async def act(uow: SeatsUnitOfWork) -> LeaseView:
        return await signed(await leases.heartbeat(lease_id, caller, uow, settings.lease_policy()), uow, signer)

    return await commands.run(request, caller, None, act)


@router.post(
    "/leases/{lease_id}/borrow",
    response_model=command_answer(LeaseView),
    summary="Borrow the floating seat for offline work, until a date (issue 14)",
    description=HOLDER + " No heartbeat is needed until `until`; the seat counts as in use until then, "
    "sign-out does not release it, and DELETE /leases/{lease_id} returns it early. Borrowing again "
    "moves the end. 422 `borrow_too_long` / `borrow_past_term_end`; 409 `lease_lapsed` for a lapsed "
    "lease (revive it with a heartbeat first); 403 `payment_overdue` while billing suspends the pool's "
    "term for an overdue invoice (issue 15).",
)
async def borrow(
    lease_id: str,
    body: BorrowRequest,
    request: Request,
    caller: CurrentCaller,
    commands: Commands,
    settings: SettingsDep,
    signer: SignerDep,
) -> Any:
    async def act(uow: SeatsUnitOfWork) -> LeaseView:
        lease = await leases.borrow(lease_id, body.until, caller, uow, settings.lease_policy())
        return await signed(lease, uow, signer)

    return await commands.run(request, caller, body, act)


@router.delete(
    "/leases/{lease_id}",
    response_model=command_answer(LeaseView),
    summary="Give the floating seat back, a borrowed one too (R26)",
    description="Who may call: the person holding the lease, or the administrator of its "
    "subscription; to anyone else it does not exist (404).",
)
async def release(lease_id: str, request: Request, caller: CurrentCaller, commands: Commands) -> Any:
    async def act(uow: SeatsUnitOfWork) -> LeaseView:
        return LeaseView.of(await leases.release(lease_id, caller, uow))

    return await commands.run(request, caller, None, act)
