"""Which e-mail each event causes, to whom, with what facts (R33). Pure: no SMTP, no templates."""
from __future__ import annotations

import uuid
from dataclasses import dataclass

from contracts.envelope import Event
from contracts.seats import SeatsDeprovisioned
from contracts.subscriptions import CancellationScheduled, SubscriptionActivated, SubscriptionPurchased
from contracts.values import Contact

LOCALES = ("en", "fr", "nl", "de")


@dataclass(frozen=True)
class EmailRequest:
    email_id: str
    template: str
    recipient: Contact
    subscription_id: str
    facts: dict

    @property
    def locale(self) -> str:
        """R34: the recipient's language, English when we do not write theirs."""
        language = self.recipient.locale.split("-")[0].lower()
        return language if language in LOCALES else "en"


def email_id(cause_event_id: str, template: str, recipient_id: str) -> str:
    """Stable per (event, e-mail, recipient): the key that makes sending happen once."""
    return str(uuid.uuid5(uuid.NAMESPACE_URL, f"entitle:email:{cause_event_id}:{template}:{recipient_id}"))


def emails_for(event: Event, cause_event_id: str) -> list[EmailRequest]:
    def to(template: str, recipient: Contact, **facts) -> EmailRequest:
        return EmailRequest(email_id(cause_event_id, template, recipient.person_id), template,
                            recipient, event.subscription_id, {"name": recipient.name, **facts})

    match event:
        case SubscriptionPurchased():
            return [to("agreement", event.administrator, product=event.product, tier=event.tier,
                       quantity=event.quantity, agreement_url=event.agreement_url,
                       accept_by=event.activation_deadline.date().isoformat())]
        case SubscriptionActivated():
            return [to("activated", event.administrator, quantity=event.quantity,
                       term_end=event.term_end.date().isoformat())]
        case CancellationScheduled():
            return [to("cancellation_confirmed", event.administrator, reason=event.reason,
                       effective_at=event.effective_at.date().isoformat())]
        case SeatsDeprovisioned():
            return [to("deprovisioned", event.administrator, revoked=len(event.revoked_user_ids),
                       ended_at=event.deprovisioned_at.date().isoformat())]
    return []
