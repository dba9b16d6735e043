"""What can be bought and for how much. A later issue loads this from an operator's file."""
from __future__ import annotations

from dataclasses import dataclass

from contracts.errors import Refusal, RuleViolation
from contracts.values import BillingCycle, Money


@dataclass(frozen=True)
class Plan:
    product: str
    tier: str
    self_service: bool
    price_per_seat: dict[BillingCycle, Money]


CATALOGUE: dict[tuple[str, str], Plan] = {
    ("designer", "standard"): Plan("designer", "standard", True, {
        BillingCycle.ANNUAL: Money(amount_minor=36500, currency="EUR"),
        BillingCycle.MONTHLY: Money(amount_minor=3300, currency="EUR")}),
    ("designer", "premium"): Plan("designer", "premium", True, {
        BillingCycle.ANNUAL: Money(amount_minor=73000, currency="EUR"),
        BillingCycle.MONTHLY: Money(amount_minor=6500, currency="EUR")}),
    ("designer", "premium_plus"): Plan("designer", "premium_plus", True, {
        BillingCycle.ANNUAL: Money(amount_minor=109500, currency="EUR"),
        BillingCycle.MONTHLY: Money(amount_minor=9800, currency="EUR")}),
    ("designer", "enterprise"): Plan("designer", "enterprise", False, {}),
}


def plan_for(product: str, tier: str) -> Plan:
    plan = CATALOGUE.get((product, tier))
    if plan is None:
        raise RuleViolation("unknown_plan", f"There is no plan {product}/{tier}.",
                            refusal=Refusal.INVALID)
    if not plan.self_service:
        raise RuleViolation("not_self_service", f"{product}/{tier} cannot be bought self-service; "
                            "contact sales.", rule="R9", refusal=Refusal.FORBIDDEN)
    return plan
