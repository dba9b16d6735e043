"""The agreement as a document (R36): each purchase and each amendment has its own agreement
text, fixed when the order is offered for acceptance or the amendment proposed, with a version
(the template it was written from and a hash of its content). Acceptance records who accepted
it, when, and which version; the text is never rewritten afterwards, so what the administrator
accepted stays readable for the life of the subscription, whatever changes later.

Pure: times and the next number come in as arguments.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass
from datetime import datetime
from enum import Enum
from typing import TypeVar

from contracts.subscriptions import AmendmentProposed, SubscriptionActivated, TierChanged
from subscriptions.domain.subscription import OVER, Subscription

Accepted = TypeVar("Accepted", SubscriptionActivated, TierChanged)

# The wording the texts below are written from. Change it with the wording: an agreement keeps
# the template version it was written from, so older agreements still say what they said.
AGREEMENT_TEMPLATE_VERSION = "2026-12"
HASH_SHOWN = 12  # hex digits of the content hash in the version a person reads


class AgreementKind(str, Enum):
    PURCHASE = "purchase"
    AMENDMENT = "amendment"


class AgreementStatus(str, Enum):
    OPEN = "open"  # waiting for acceptance
    ACCEPTED = "accepted"
    SUPERSEDED = "superseded"  # a newer amendment replaced it before acceptance
    LAPSED = "lapsed"  # the order lapsed or was refused before acceptance (R8, R19)


@dataclass
class Agreement:
    subscription_id: str
    number: int  # 1 is the purchase's; amendments follow in the order proposed
    kind: AgreementKind
    template_version: str
    content_hash: str  # sha-256 of the template version and the text, hex
    text: str
    issued_at: datetime
    amendment_id: str | None = None
    status: AgreementStatus = AgreementStatus.OPEN
    accepted_by: str | None = None  # person id
    accepted_by_name: str | None = None  # their name then, for the record a person reads
    accepted_at: datetime | None = None

    @property
    def version(self) -> str:
        return f"{self.template_version}.{self.content_hash[:HASH_SHOWN]}"

    def status_for(self, s: Subscription) -> AgreementStatus:
        """An order that ended without acceptance leaves its agreement open in the store; it
        lapsed with the order."""
        if self.status is AgreementStatus.OPEN and self.kind is AgreementKind.PURCHASE and s.status in OVER:
            return AgreementStatus.LAPSED
        return self.status

    def record_acceptance(self, s: Subscription, at: datetime) -> None:
        """Who accepted: the administrator, the only one who may (R6), checked by the caller."""
        self.status, self.accepted_at = AgreementStatus.ACCEPTED, at
        self.accepted_by, self.accepted_by_name = s.administrator.person_id, s.administrator.name

    def supersede(self) -> None:
        if self.status is AgreementStatus.OPEN:
            self.status = AgreementStatus.SUPERSEDED


def content_hash(template_version: str, text: str) -> str:
    return hashlib.sha256(f"{template_version}\n{text}".encode()).hexdigest()


def _issued(
    s: Subscription, number: int, kind: AgreementKind, text: str, at: datetime, amendment_id: str | None = None
) -> Agreement:
    return Agreement(
        subscription_id=s.id,
        number=number,
        kind=kind,
        template_version=AGREEMENT_TEMPLATE_VERSION,
        content_hash=content_hash(AGREEMENT_TEMPLATE_VERSION, text),
        text=text,
        issued_at=at,
        amendment_id=amendment_id,
    )


def purchase_text(s: Subscription) -> str:
    """What the purchase agrees: seats, product, tier, cycle, term and price."""
    term = f", until {s.fixed_term_end:%Y-%m-%d}" if s.fixed_term_end else ""
    text = (
        f"Licence agreement for {s.quantity} {s.licence_type.value} seat(s) of "
        f"{s.product} {s.tier}, billed {s.billing_cycle.value}{term} at "
        f"{s.unit_price.amount_minor / 100:.2f} {s.unit_price.currency} per seat."
    )
    if s.terms_of_sale_version:
        text += f" The terms of sale version {s.terms_of_sale_version} apply."
    return text


def amendment_text(s: Subscription, quote: AmendmentProposed) -> str:
    """What accepting the amendment agrees: the new tier and its price for the rest of the term,
    and the credit of the old tier (R12, R29) as quoted when proposed."""
    assert s.term_end is not None
    cur = quote.new_unit_price.currency
    return (
        f"Amendment to the licence agreement of {s.product}: the tier changes from "
        f"{quote.from_tier} to {quote.to_tier} on acceptance, for {s.quantity} "
        f"{s.licence_type.value} seat(s), at {quote.new_unit_price.amount_minor / 100:.2f} {cur} "
        f"per seat per term, until the term ends on {s.term_end:%Y-%m-%d}. The unused balance of "
        f"the {quote.from_tier} tier is credited. Accepted the day it was proposed, the credit is "
        f"{-quote.quoted_credit.amount_minor / 100:.2f} {cur} and the charge "
        f"{quote.quoted_charge.amount_minor / 100:.2f} {cur}; both are prorated to the day of acceptance."
    )


def for_purchase(s: Subscription, number: int, at: datetime) -> Agreement:
    """R36: the purchase's agreement, fixed when the order is offered for acceptance."""
    return _issued(s, number, AgreementKind.PURCHASE, purchase_text(s), at)


def for_amendment(s: Subscription, proposed: AmendmentProposed, number: int) -> Agreement:
    """R36: the amendment's agreement, fixed when it is proposed."""
    return _issued(
        s, number, AgreementKind.AMENDMENT, amendment_text(s, proposed), proposed.proposed_at, proposed.amendment_id
    )


def accepted(agreement: Agreement | None, s: Subscription, at: datetime, event: Accepted) -> Accepted:
    """R36: the acceptance the event reports is recorded on its agreement, and the event says
    which version was accepted. An order placed before agreements were kept has none."""
    if agreement is None:
        return event
    agreement.record_acceptance(s, at)
    return event.model_copy(update={"agreement_version": agreement.version})
