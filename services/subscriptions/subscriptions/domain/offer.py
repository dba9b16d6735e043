"""What the domain needs to know of the catalogue: the offer of one product.

`subscriptions.adapters.catalogue.Product` is one; the domain never imports it, so its rules run
against any offer (a test can build its own).
"""

from __future__ import annotations

from datetime import datetime
from typing import Protocol

from contracts.values import BillingCycle, LicenceType, Money, Software


class TrialTerms(Protocol):
    tier: str
    days: int
    fallback_tier: str


class ProductOffer(Protocol):
    code: str
    currency: str
    requires_approval: bool
    approver_email: str | None

    def check_licence_type(self, licence_type: LicenceType) -> None:
        """Refuse a licence type the product is not sold as (R9)."""

    def check_tier_change(self, from_code: str, to_code: str) -> object:
        """Refuse an unknown or non-self-service tier (R9), the same tier (R12), a downgrade
        of an upgrade-only ladder (R13)."""

    def unit_price(
        self, tier_code: str, cycle: BillingCycle, term_start: datetime | None = None, term_end: datetime | None = None
    ) -> Money:
        """One seat for one term; refuses a tier not sold self-service (R9)."""

    def addon_price(self, code: str, cycle: BillingCycle, term_start: datetime, term_end: datetime) -> Money:
        """The add-on for one whole term; refuses an unknown add-on (R20)."""

    def software_for(self, tier_code: str) -> Software:
        """How the product is used at that tier (links, modules, limits), for the events that
        put the tier in force; refuses an unknown tier (R9)."""

    def trial_offer(self) -> TrialTerms:
        """The trial the product offers; refuses when there is none (R10)."""
