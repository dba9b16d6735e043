"""What several resources of the subscriptions HTTP API share: the subscription as commands
answer it, the fields of purchase details and terms, and who may call a route.

Every text a customer types here can reach an e-mail header, an invoice, a log line or a
file, so it is a `servicekit.fields.Line` (one line, no control characters) and an address
is an `EmailAddress` (exactly one, checked by a real parser): a line break is refused with
422 at the edge instead of breaking an e-mail later (issue 11, item 2). Each resource's own
bodies sit beside its routes.
"""

from __future__ import annotations

from datetime import datetime

from pydantic import BaseModel, Field

from contracts.subscriptions import BillingDetails
from contracts.values import BillingCycle, LicenceType, Money
from servicekit.http.fields import EmailAddress, Line
from subscriptions import domain

PO_NUMBER = Field(None, max_length=100, description="Purchase-order number, shown on invoices (R31).")
PAYMENT_METHOD = Field(
    None,
    max_length=200,
    description="A label such as 'Visa ending 4242' or 'SEPA mandate 12'; never a card number (R18).",
)
TERM_ENDS_ON = Field(
    None, description="Fixed term only: the date the term ends, 30 days to 5 years away, both ends included (R11)."
)


class BillingDetailsIn(BaseModel):
    """Who is invoiced for the order, and where (R45). The country is checked against ISO
    3166-1 alpha-2 and the VAT number as one of that country's (python-stdnum: EU member
    states, and others such as GB, CH or NO): 422 `unknown_country` or `invalid_vat_number`
    otherwise."""

    company_name: Line = Field(min_length=1, max_length=200, description="Company invoiced.")
    contact_name: Line = Field(min_length=1, max_length=200, description="Person the invoices are addressed to.")
    billing_email: EmailAddress = Field(description="Where invoices are sent.")
    address: Line = Field(min_length=1, max_length=200, description="Street and number.")
    address_extra: Line | None = Field(None, max_length=200, description="Second address line.")
    postal_code: Line = Field(min_length=1, max_length=20, description="Postal code.")
    city: Line = Field(min_length=1, max_length=100, description="City.")
    # Bounded loosely here so that a country's name gets the domain's clear `unknown_country`.
    country: Line = Field(min_length=1, max_length=100, description="ISO 3166-1 alpha-2 code, e.g. `FR`.")
    vat_number: Line | None = Field(
        None,
        max_length=32,
        description=(
            "VAT number of the address's country, checked by its scheme: an EU one with its country "
            "prefix, e.g. `FR40303265045`; others as that country writes them, e.g. `GB980780684`, "
            "`CHE-116.281.710 MWST`."
        ),
    )

    def details(self) -> BillingDetails:
        return BillingDetails(**self.model_dump())


# Who may call a route: said in each operation's description (issue 11, item 22).
ADMINISTRATOR_ONLY = (
    "The subscription's administrator only, signed in (bearer token) for the "
    "account that owns it (R6). Anyone else gets 404, exactly as for a "
    "subscription that does not exist."
)


class SubscriptionView(BaseModel):
    id: str
    account_id: str
    administrator_id: str
    product: str
    tier: str
    licence_type: LicenceType
    billing_cycle: BillingCycle
    scheduled_billing_cycle: BillingCycle | None = Field(description="Cycle from the next renewal (R16).")
    quantity: int = Field(description="Seats in force.")
    unit_price: Money
    status: str = Field(description=", ".join(s.value for s in domain.Status))
    ordered_at: datetime
    activation_deadline: datetime
    term_start: datetime | None
    term_end: datetime | None
    term_ends_on: datetime | None = Field(description="Fixed term: the end chosen at purchase.")
    cancels_at: datetime | None
    grace_ends_at: datetime | None
    trial_ends_at: datetime | None
    ended_at: datetime | None
    ended_reason: str | None
    po_number: str | None
    payment_method: str | None
    next_payment_method: str | None = Field(description="Used from the next renewal (R18).")
    project_id: str | None
    addons: list[str]
    billing: BillingDetails | None = Field(None, description="Billing details and address of the order (R45).")
    terms_of_sale_accepted_at: datetime | None = Field(
        None, description="When the purchaser accepted the terms of sale (R45); none for orders that did not ask."
    )
    terms_of_sale_version: str | None = Field(None, description="The version of the terms of sale accepted (R45).")

    @classmethod
    def of(cls, s: domain.Subscription) -> SubscriptionView:
        return cls(
            id=s.id,
            account_id=s.account_id,
            administrator_id=s.administrator.person_id,
            product=s.product,
            tier=s.tier,
            licence_type=s.licence_type,
            billing_cycle=s.billing_cycle,
            scheduled_billing_cycle=s.scheduled_cycle,
            quantity=s.quantity,
            unit_price=s.unit_price,
            status=s.status.value,
            ordered_at=s.ordered_at,
            activation_deadline=s.activation_deadline,
            term_start=s.term_start,
            term_end=s.term_end,
            term_ends_on=s.fixed_term_end,
            cancels_at=s.cancels_at,
            grace_ends_at=s.grace_ends_at,
            trial_ends_at=s.trial_ends_at,
            ended_at=s.ended_at,
            ended_reason=s.ended_reason,
            po_number=s.po_number,
            payment_method=s.payment_method,
            next_payment_method=s.next_payment_method,
            project_id=s.project_id,
            addons=s.addons,
            billing=s.billing,
            terms_of_sale_accepted_at=s.terms_of_sale_accepted_at,
            terms_of_sale_version=s.terms_of_sale_version,
        )


class SubscriptionAnswer(SubscriptionView):
    """The subscription as a command left it."""

    event_ids: list[str] = Field(default_factory=list, description="Ids of the events the command caused.")
