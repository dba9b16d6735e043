"""Tier changes (R12, R13): a price preview, an amendment to accept, and the change on
acceptance, with the unused balance of the old tier credited (R29) by the shared formula."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from enum import Enum

from contracts.errors import RuleViolation, not_found
from contracts.proration import days_between, prorated_amount
from contracts.subscriptions import AmendmentProposed, TierChanged
from contracts.values import Money
from subscriptions.domain.offer import ProductOffer
from subscriptions.domain.subscription import Actor, Status, Subscription


class AmendmentStatus(str, Enum):
    OPEN = "open"
    SUPERSEDED = "superseded"
    ACCEPTED = "accepted"


@dataclass
class Amendment:
    id: str
    subscription_id: str
    from_tier: str
    to_tier: str
    new_unit_price: Money
    proposed_at: datetime
    status: AmendmentStatus = AmendmentStatus.OPEN
    decided_at: datetime | None = None


@dataclass(frozen=True)
class TierChangeQuote:
    """What the change costs if accepted at `at`, on the quantity in force (R12, R29)."""

    from_tier: str
    to_tier: str
    quantity: int
    days_remaining: int
    days_in_term: int
    credit: Money
    charge: Money
    new_unit_price: Money

    @property
    def net(self) -> Money:
        return Money(amount_minor=self.credit.amount_minor + self.charge.amount_minor, currency=self.charge.currency)


def quote_tier_change(s: Subscription, by: Actor, to_tier: str, offer: ProductOffer, at: datetime) -> TierChangeQuote:
    """R12: the preview; no side effect."""
    s.ensure_administered_by(by)
    s.ensure_status(Status.ACTIVE, rule="R12", doing="changing tier")
    offer.check_tier_change(s.tier, to_tier)
    assert s.term_start is not None and s.term_end is not None
    # A fixed term is priced like a purchase of the same term length (R11).
    new_price = offer.unit_price(to_tier, s.billing_cycle, s.term_start, s.term_end)
    remaining, in_term = days_between(at, s.term_end), days_between(s.term_start, s.term_end)
    credit = -prorated_amount(s.quantity, s.unit_price.amount_minor, remaining, in_term)
    charge = prorated_amount(s.quantity, new_price.amount_minor, remaining, in_term)
    currency = new_price.currency
    return TierChangeQuote(
        s.tier,
        to_tier,
        s.quantity,
        remaining,
        in_term,
        Money(amount_minor=credit, currency=currency),
        Money(amount_minor=charge, currency=currency),
        new_price,
    )


def propose_amendment(
    s: Subscription,
    by: Actor,
    amendment_id: str,
    to_tier: str,
    offer: ProductOffer,
    at: datetime,
    open_amendment: Amendment | None,
    accept_url: str,
) -> tuple[Amendment, AmendmentProposed]:
    """R12: the change waits for the administrator's acceptance; a newer proposal supersedes
    the open one."""
    quote = quote_tier_change(s, by, to_tier, offer, at)
    if open_amendment is not None:
        open_amendment.status, open_amendment.decided_at = AmendmentStatus.SUPERSEDED, at
    amendment = Amendment(amendment_id, s.id, s.tier, to_tier, quote.new_unit_price, at)
    return amendment, AmendmentProposed(
        amendment_id=amendment_id,
        subscription_id=s.id,
        account_id=s.account_id,
        administrator=s.administrator,
        from_tier=s.tier,
        to_tier=to_tier,
        new_unit_price=quote.new_unit_price,
        quoted_credit=quote.credit,
        quoted_charge=quote.charge,
        proposed_at=at,
        accept_url=accept_url,
    )


def _ensure_open(s: Subscription, amendment: Amendment) -> None:
    if amendment.subscription_id != s.id:
        raise not_found("amendment", amendment.id)
    if amendment.status is not AmendmentStatus.OPEN or amendment.from_tier != s.tier:
        raise RuleViolation(
            "amendment_not_open",
            f"This amendment is {amendment.status.value} and can no longer be accepted; request a new one.",
            rule="R12",
        )


def accept_amendment(
    s: Subscription, by: Actor, amendment: Amendment, offer: ProductOffer, at: datetime
) -> TierChanged:
    """R12: takes effect on acceptance at the prices of the current cycle and term, on the
    quantity in force; billing credits the old tier and charges the new one (R29). The event
    carries how the product is used at the new tier (its modules and limits, issue 14)."""
    s.ensure_administered_by(by)
    _ensure_open(s, amendment)
    quote = quote_tier_change(s, by, amendment.to_tier, offer, at)
    previous = s.unit_price
    s.tier, s.unit_price = amendment.to_tier, quote.new_unit_price
    amendment.status, amendment.decided_at = AmendmentStatus.ACCEPTED, at
    assert s.term_start is not None and s.term_end is not None
    return TierChanged(
        amendment_id=amendment.id,
        subscription_id=s.id,
        account_id=s.account_id,
        billing_cycle=s.billing_cycle,
        from_tier=quote.from_tier,
        to_tier=quote.to_tier,
        previous_unit_price=previous,
        new_unit_price=quote.new_unit_price,
        quantity=s.quantity,
        effective_at=at,
        term_start=s.term_start,
        term_end=s.term_end,
        software=offer.software_for(quote.to_tier),
    )
