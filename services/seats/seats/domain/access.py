"""May this person (or device) use this product now? The answer from the seats they hold."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from seats.domain.suspensions import PaymentSuspension, covering

# Higher is better: when several subscriptions grant the product, the best tier answers.
TIER_RANK = {"standard": 1, "premium": 2, "premium_plus": 3, "enterprise": 4}


@dataclass(frozen=True)
class Grant:
    """A seat in force: a named assignment, a live lease or a device activation."""

    subscription_id: str
    tier: str
    licence_type: str
    how: str
    account_id: str = ""  # the subscription's owner...
    administrator_id: str = ""  # ...and its administrator: who may ask about its users
    about_the_asker: bool = False  # the seat is the asker's own
    # What a signed entitlement says (issue 14): the term, how the tier is used, the holder...
    term_end: datetime | None = None
    software: dict[str, Any] | None = None  # contracts.values.Software as JSON (modules, limits)
    add_ons: list[str] | None = None
    person_id: str | None = None  # the seat's holder: a named user, a lease's, a key's activator
    email: str | None = None
    lease_id: str | None = None  # floating: the lease, and when it ends (borrowed: the borrow end)
    lease_ends_at: datetime | None = None
    key_id: str | None = None  # node-locked: the key, active on this device (its fingerprint)
    device_id: str | None = None

    @property
    def modules(self) -> list[str]:
        return list((self.software or {}).get("modules") or [])

    @property
    def limits(self) -> dict[str, int]:
        return dict((self.software or {}).get("limits") or {})


@dataclass(frozen=True)
class AccessAnswer:
    allowed: bool
    reason: str
    tier: str | None = None
    licence_type: str | None = None
    subscription_id: str | None = None
    modules: list[str] = field(default_factory=list)
    add_ons: list[str] = field(default_factory=list)
    limits: dict[str, int] = field(default_factory=dict)
    not_after: datetime | None = None
    fallback: str | None = None  # R43: "standard" (the free tier) or "trial" (they may start one)
    entitlement: str | None = None
    grant: Grant | None = field(default=None, repr=False, compare=False)  # the best, when allowed
    suspension: PaymentSuspension | None = None  # refused: the overdue invoice's (issue 15)


def visible_to(grants: list[Grant], person_id: str, account_id: str) -> list[Grant]:
    """A person may learn about their own seats; an administrator about the seats of the
    subscriptions they administer, acting for their account (R6). Everything else is left out,
    so that asking about someone else answers exactly as asking about nobody: no oracle of who
    holds what (issue 11)."""
    return [g for g in grants if g.about_the_asker or (g.administrator_id == person_id and g.account_id == account_id)]


def decide(
    grants: list[Grant],
    product: str,
    suspensions: Sequence[PaymentSuspension] = (),
    now: datetime | None = None,
) -> AccessAnswer:
    """R21–R28: only a seat of an unlocked, not yet ended subscription grants access; an
    unassigned user (R24), an expired lease (R26) or a revoked one (R28) grants nothing.

    Issue 15: nor does a seat of a subscription whose period in force `now` is suspended for an
    overdue invoice (`suspensions`: those known of the grants' subscriptions). Another
    subscription's seat still answers; when every seat is suspended the answer is refused with
    the suspension's reason (`payment_overdue`) and the subscription it is about."""
    if suspensions and now is not None:
        suspended = {g.subscription_id: s for g in grants if (s := covering(suspensions, g.subscription_id, now))}
        usable = [g for g in grants if g.subscription_id not in suspended]
        if grants and not usable:
            first = _best(grants).subscription_id
            return AccessAnswer(False, suspended[first].reason, subscription_id=first, suspension=suspended[first])
        grants = usable
    if not grants:
        return AccessAnswer(
            False,
            f"No seat of {product} is in force for them: assign one (named), "
            "take a lease (floating) or activate a key on the device (node-locked).",
        )
    best = _best(grants)
    return AccessAnswer(
        True,
        best.how,
        best.tier,
        best.licence_type,
        best.subscription_id,
        modules=best.modules,
        add_ons=list(best.add_ons or []),
        limits=best.limits,
        grant=best,
    )


def _best(grants: list[Grant]) -> Grant:
    return max(grants, key=lambda g: (TIER_RANK.get(g.tier, 0), g.subscription_id))
