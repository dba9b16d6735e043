"""An account's SEPA Direct Debit mandate (issue 15, item 5): given, read and revoked by its
administrators. The IBAN is never answered whole: a browser shows the last 4 characters."""

from __future__ import annotations

from datetime import date, datetime
from typing import Any

from fastapi import APIRouter, Request
from pydantic import BaseModel, Field

from billing.handlers import mandates
from billing.handlers.mandates import MandateRequest
from billing.store.mandates import StoredMandate
from billing.store.uow import BillingUnitOfWork
from servicekit.http.deps import Commands, CurrentCaller
from servicekit.http.fields import Line
from servicekit.runtime import Runtime

router = APIRouter(tags=["billing"])
PATH = "/accounts/{account_id}/sepa-mandate"
MANDATE_ADMINISTRATOR = (
    "A signed-in person who administers at least one subscription of the account, acting for it (R6): "
    "anyone else of the account gets 403 `not_an_administrator`; another account answers 404, as one that "
    "does not exist."
)
SHOWN = 4  # characters of the IBAN a browser is shown


class MandateBody(BaseModel):
    """As the debtor signed it. Bounds here are loose on purpose: the domain's checks answer 422
    with a code naming the field (`iban_invalid`, `iban_not_sepa`, `bic_invalid`,
    `mandate_reference_invalid`, `debtor_name_invalid`, `signed_in_future`)."""

    debtor_name: Line = Field(min_length=1, max_length=200, description="The account holder, as on the mandate.")
    iban: Line = Field(min_length=1, max_length=64, description="The account to debit, in a SEPA country.")
    bic: Line | None = Field(None, max_length=35, description="The debtor's bank; derived from the IBAN when known.")
    mandate_reference: Line | None = Field(
        None,
        max_length=100,
        description="1–35 characters of the SEPA set; left out, billing makes one (`ENT-<account>-<n>`).",
    )
    signed_on: date = Field(description="When the debtor signed; not in the future.")


class MandateView(BaseModel):
    account_id: str
    debtor_name: str
    iban: str = Field(description="Masked: every character but the last 4 is `*`.")
    bic: str | None
    mandate_reference: str = Field(description="What the debtor's bank statement shows with each collection.")
    signed_on: date
    sequence: str = Field(description="`FRST` until a collection under it went to the bank, then `RCUR`.")
    given_at: datetime
    revoked_at: datetime | None

    @classmethod
    def of(cls, stored: StoredMandate) -> MandateView:
        mandate = stored.mandate
        return cls(
            account_id=mandate.account_id,
            debtor_name=mandate.debtor_name,
            iban=masked(mandate.iban),
            bic=mandate.bic,
            mandate_reference=mandate.mandate_reference,
            signed_on=mandate.signed_on,
            sequence=mandate.sequence.value,
            given_at=stored.created_at,
            revoked_at=mandate.revoked_at,
        )


def masked(iban: str) -> str:
    return "*" * max(len(iban) - SHOWN, 0) + iban[-SHOWN:]


@router.get(
    PATH,
    response_model=MandateView,
    summary="The account's SEPA Direct Debit mandate (issue 15)",
    description=f"{MANDATE_ADMINISTRATOR} 404 `sepa_mandate_not_found` while none is active.",
)
async def read_mandate(account_id: str, caller: CurrentCaller, runtime: Runtime) -> MandateView:
    uow: BillingUnitOfWork
    async with runtime.uow() as uow:
        return MandateView.of(await mandates.mandate_of(caller, account_id, uow))


@router.put(
    PATH,
    response_model=MandateView,
    summary="Give or replace the account's SEPA Direct Debit mandate (issue 15)",
    description=(
        f"{MANDATE_ADMINISTRATOR} The same mandate again changes nothing; another replaces the active one "
        "(revoked) and starts with a first collection (`FRST`). From then on, each invoice billing issues "
        "to the account is collected on its due date. 422 with a code naming the wrong field; 409 "
        "`mandate_reference_taken` for a reference already used."
    ),
)
async def give_mandate(
    account_id: str, body: MandateBody, request: Request, caller: CurrentCaller, commands: Commands
) -> Any:
    wanted = MandateRequest(
        debtor_name=body.debtor_name,
        iban=body.iban,
        signed_on=body.signed_on,
        bic=body.bic or None,
        mandate_reference=body.mandate_reference or None,
    )

    async def act(uow: BillingUnitOfWork) -> MandateView:
        return MandateView.of(await mandates.give_mandate(caller, account_id, wanted, uow))

    return await commands.run(request, caller, body, act)


@router.delete(
    PATH,
    response_model=MandateView,
    summary="Revoke the account's SEPA Direct Debit mandate (issue 15)",
    description=(
        f"{MANDATE_ADMINISTRATOR} Nothing more is collected under it (a file already handed to the bank "
        "stays with the bank); a mandate given later starts with a first collection again. 404 "
        "`sepa_mandate_not_found` when none is active."
    ),
)
async def revoke_mandate(account_id: str, request: Request, caller: CurrentCaller, commands: Commands) -> Any:
    async def act(uow: BillingUnitOfWork) -> MandateView:
        return MandateView.of(await mandates.revoke_mandate(caller, account_id, uow))

    return await commands.run(request, caller, None, act)
