"""HTTP commands and queries of the seat pool: its state, assignments by e-mail, quantity, policy."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from fastapi import APIRouter, Request
from pydantic import BaseModel, Field

from contracts.values import LicenceType
from seats.api.deps import InvitationsDep
from seats.api.schemas import ADMINISTRATOR, command_answer
from seats.domain.pools import MAX_KEYS_PER_PERSON, SeatPool
from seats.domain.suspensions import PaymentSuspension, covering
from seats.handlers import pools
from seats.store.uow import SeatsUnitOfWork
from servicekit.http.deps import Commands, CurrentCaller
from servicekit.http.fields import EmailAddress
from servicekit.http.pagination import MAX_PAGE_SIZE
from servicekit.runtime import Runtime


class AssignRequest(BaseModel):
    email: EmailAddress = Field(description="E-mail of the user to give a seat: one address.")


class QuantityRequest(BaseModel):
    quantity: int = Field(gt=0, le=100_000, description="The new number of seats.")


class PolicyRequest(BaseModel):
    keys_per_person: int = Field(
        ge=1,
        le=MAX_KEYS_PER_PERSON,
        description="Node-locked keys one person may hold active at once, on as many devices (R27).",
    )


class AssignmentView(BaseModel):
    user_id: str
    email: str
    assigned_at: datetime


class PaymentOverdueView(BaseModel):
    invoice_id: str = Field(description="The overdue invoice (billing's id).")
    number: str = Field(description="Its number, as printed.")
    suspended_at: datetime = Field(description="When billing suspended the subscription for it.")

    @classmethod
    def of(cls, s: PaymentSuspension) -> PaymentOverdueView:
        return cls(invoice_id=s.invoice_id, number=s.number, suspended_at=s.suspended_at)


class PoolView(BaseModel):
    subscription_id: str
    status: str = Field(
        description="`locked` until activation (R21), `unlocked`, `closed` (lapsed before "
        "activation) or `deprovisioned` (R28)."
    )
    licence_type: LicenceType
    quantity: int = Field(description="Seats in force (R25).")
    scheduled_quantity: int | None = Field(description="A decrease waiting for the term end (R25).")
    term_end: datetime | None
    deprovision_at: datetime | None
    trial_ends_at: datetime | None
    keys_per_person: int = Field(description="Node-locked: keys one person may hold active at once (R27).")
    assigned: int = Field(description="Assignments in force.")
    assignments: list[AssignmentView] = Field(
        description=f"The first {MAX_PAGE_SIZE} assignments, oldest first; every user, with their seat: GET .../users."
    )
    payment_overdue: PaymentOverdueView | None = Field(
        description="Issue 15: the overdue invoice for which billing suspends the subscription's period "
        "in force now, for the portal's banner; null when none does. While it does, every seat of it "
        "is refused (access `payment_overdue`, no lease, no device activation, no licence file); the "
        "assignments stay, and access comes back at once when the invoice is paid or voided. Of two "
        "invoices suspending it at once, the one suspended first."
    )

    @classmethod
    def of(cls, p: SeatPool, overdue: PaymentSuspension | None = None) -> PoolView:
        return cls(
            subscription_id=p.subscription_id,
            status=p.status.value,
            licence_type=p.licence_type,
            quantity=p.quantity,
            scheduled_quantity=p.scheduled_quantity,
            term_end=p.term_end,
            deprovision_at=p.deprovision_at,
            trial_ends_at=p.trial_ends_at,
            keys_per_person=p.keys_per_person,
            assigned=len(p.assignments),
            assignments=[AssignmentView(**vars(a)) for a in p.assignments[:MAX_PAGE_SIZE]],
            payment_overdue=PaymentOverdueView.of(overdue) if overdue else None,
        )


async def pool_view(pool: SeatPool, uow: SeatsUnitOfWork) -> PoolView:
    """The pool with the suspension covering now, if any (issue 15)."""
    now = uow.now()
    suspended = await uow.payment_suspensions.not_ended([pool.subscription_id], now)
    return PoolView.of(pool, covering(suspended, pool.subscription_id, now))


router = APIRouter(prefix="/subscriptions/{subscription_id}", tags=["seats"])


@router.get("/seats", summary="The seat pool and its assignments (R21, R25)", description=ADMINISTRATOR)
async def pool(subscription_id: str, caller: CurrentCaller, runtime: Runtime) -> PoolView:
    async with runtime.uow(subject=subscription_id) as uow:
        found = await uow.pools.get(subscription_id)
        found.ensure_administered_by(caller.person_id, caller.account_id)
        return await pool_view(found, uow)


@router.post(
    "/seats/assignments",
    status_code=201,
    response_model=command_answer(AssignmentView),
    summary="Give a user a seat by e-mail; a new user is listed and invited (R21, R22, R25)",
    description=ADMINISTRATOR + " Invitation e-mails count against the account's hourly limit (429).",
)
async def assign(
    subscription_id: str,
    body: AssignRequest,
    request: Request,
    caller: CurrentCaller,
    commands: Commands,
    invitations: InvitationsDep,
) -> Any:
    async def act(uow: SeatsUnitOfWork) -> AssignmentView:
        assignment = await pools.assign_seat(subscription_id, body.email, caller, uow, invitations)
        return AssignmentView(**vars(assignment))

    return await commands.run(request, caller, body, act, status_code=201)


@router.post(
    "/seats/quantity",
    response_model=command_answer(PoolView),
    summary="Change the quantity: increases now, decreases at term end (R25)",
    description=ADMINISTRATOR,
)
async def change_quantity(
    subscription_id: str, body: QuantityRequest, request: Request, caller: CurrentCaller, commands: Commands
) -> Any:
    async def act(uow: SeatsUnitOfWork) -> PoolView:
        return await pool_view(await pools.change_quantity(subscription_id, body.quantity, caller, uow), uow)

    return await commands.run(request, caller, body, act)


@router.put(
    "/seats/policy",
    response_model=command_answer(PoolView),
    summary="The pool's policy: node-locked keys one person may hold at once (R27)",
    description=ADMINISTRATOR + " Keys already active stay so; the limit applies to the next activation.",
)
async def policy(
    subscription_id: str, body: PolicyRequest, request: Request, caller: CurrentCaller, commands: Commands
) -> Any:
    async def act(uow: SeatsUnitOfWork) -> PoolView:
        return await pool_view(await pools.set_policy(subscription_id, body.keys_per_person, caller, uow), uow)

    return await commands.run(request, caller, body, act)
