"""An account's billing details (issue 15, item 1): legal name, billing address, VAT number and
invoicing e-mail, which billing prints on the invoices it issues. The body has the shape of
`contracts.parties.AccountBillingDetails`, bounded here (one line each, at most what the table
holds); the country and the VAT number are checked once the caller may change them, so that
a stranger is answered 404 whatever they send."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from fastapi import APIRouter, Request
from pydantic import BaseModel, Field

from contracts.parties import AccountBillingDetails
from identity.api.deps import OpenSessionCaller
from identity.api.schemas import ADMINISTRATOR, SIGNED_IN, CommandAnswer, Id
from identity.domain.billing_details import AccountBilling
from identity.handlers import billing_details
from identity.store.uow import IdentityUnitOfWork
from servicekit.http.deps import Commands
from servicekit.http.fields import EmailAddress, Line
from servicekit.runtime import Runtime

router = APIRouter(tags=["accounts"])


class AddressRequest(BaseModel):
    line1: Line = Field(min_length=1, max_length=200, description="Street and number.")
    line2: Line | None = Field(None, max_length=200, description="Building, floor, P.O. box.")
    postcode: Line = Field("", max_length=20, description="Postal code.")
    city: Line = Field(min_length=1, max_length=100, description="City.")
    # Bounded loosely so that a country's name gets the clear 422 `unknown_country`.
    country: Line = Field(min_length=1, max_length=100, description="ISO 3166-1 alpha-2 code, e.g. `FR`.")


class BillingDetailsRequest(BaseModel):
    """`AccountBillingDetails` as typed: 422 `unknown_country` for a country that is no ISO
    3166 code, 422 `invalid_vat_number` for a VAT number python-stdnum finds invalid for the
    address's country (e.g. `FR40303265046`, or a Belgian number with a French address)."""

    legal_name: Line = Field(min_length=1, max_length=200, description="The company's registered name.")
    address: AddressRequest = Field(description="The billing address.")
    vat_number: Line | None = Field(
        None, max_length=32, description="VAT number of the address's country, e.g. `FR40303265045`; empty if none."
    )
    invoicing_email: EmailAddress | None = Field(
        None, description="Where invoices go, when not to the subscription's administrator."
    )

    def raw(self) -> dict[str, Any]:
        return self.model_dump()


class BillingDetailsView(AccountBillingDetails):
    account_id: str
    changed_at: datetime = Field(description="When they were last set.")
    changed_by: str = Field(description="Person id of whoever set them (the purchaser, for an order's).")

    @classmethod
    def of(cls, billing: AccountBilling) -> BillingDetailsView:
        return cls(
            **billing.details.model_dump(),
            account_id=billing.account_id,
            changed_at=billing.changed_at,
            changed_by=billing.changed_by,
        )


class BillingDetailsAnswer(BillingDetailsView, CommandAnswer):
    """The details in force; `event_ids` is empty when they were already these."""


@router.get(
    "/accounts/{account_id}/billing-details",
    response_model=BillingDetailsView,
    summary="The account's billing details, as invoices name the buyer (issue 15)",
    description=f"{SIGNED_IN} Any member of the account. 404 `billing_details_not_found` while none "
    "are set; any other account answers 404, as one that does not exist.",
)
async def read_billing_details(account_id: Id, caller: OpenSessionCaller, runtime: Runtime) -> BillingDetailsView:
    async with runtime.uow() as uow:
        return BillingDetailsView.of(await billing_details.billing_details_of(caller, account_id, uow))


@router.put(
    "/accounts/{account_id}/billing-details",
    response_model=BillingDetailsAnswer,
    summary="Set or change the account's billing details (issue 15)",
    description=f"{ADMINISTRATOR} 422 `unknown_country` or `invalid_vat_number` (naming the field and "
    "why) and nothing is kept; otherwise `identity.billing_details_changed` is published, "
    "unless the details were already these.",
)
async def change_billing_details(
    account_id: Id, body: BillingDetailsRequest, request: Request, caller: OpenSessionCaller, commands: Commands
) -> Any:
    async def act(uow: IdentityUnitOfWork) -> BillingDetailsView:
        return BillingDetailsView.of(await billing_details.change_billing_details(caller, account_id, body.raw(), uow))

    return await commands.run(request, caller, body, act)
