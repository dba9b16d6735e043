"""Which e-mail each event causes, to whom, with what facts (R33), and the e-mail as the log
keeps it. Pure: no SMTP, no templates."""

from __future__ import annotations

import uuid
from collections.abc import Callable
from dataclasses import dataclass, replace
from datetime import datetime
from typing import Any

from contracts.billing import InvoiceIssued, PaymentReminderDue, SubscriptionsReinstated, SubscriptionsSuspended
from contracts.envelope import Event
from contracts.identity import (
    AccountVerificationLapsed,
    ContactAdded,
    PasswordResetRequested,
    RegistrationAttempted,
    VerificationEmailRequested,
)
from contracts.notifications import EmailRejected
from contracts.seats import SeatAssigned, SeatsDeprovisioned, SeatUnassigned, UserInvited
from contracts.subscriptions import (
    AdministratorTransferred,
    AmendmentProposed,
    CancellationScheduled,
    GraceStarted,
    OrderAwaitingApproval,
    SubscriptionActivated,
    SubscriptionPurchased,
    TrialEnded,
)
from contracts.values import Contact, LicenceType, Money

LOCALES = ("en", "fr", "nl", "de")

# E-mails carrying a secret (a single-use link): their text is dropped once delivered or rejected.
SECRET_TEMPLATES = frozenset({"verification", "password_reset"})


@dataclass(frozen=True)
class EmailRequest:
    email_id: str
    template: str
    recipient: Contact
    subscription_id: str  # what it is about: the subscription, else the account, else the person
    account_id: str  # the customer account it concerns; "" for a person's own (verification) e-mail
    facts: dict[str, Any]
    document_id: str | None = None  # an invoice e-mail: the invoice whose PDF it carries

    @property
    def locale(self) -> str:
        """R34: the recipient's language, English when we do not write theirs."""
        language = self.recipient.locale.split("-")[0].lower()
        return language if language in LOCALES else "en"


def email_id(cause_event_id: str, template: str, recipient_id: str) -> str:
    """Stable per (event, e-mail, recipient): the key that makes sending happen once."""
    return str(uuid.uuid5(uuid.NAMESPACE_URL, f"entitle:email:{cause_event_id}:{template}:{recipient_id}"))


def money(amount: Money) -> str:
    """Two decimals and the currency, e.g. `-736.00 EUR`: exact, from the minor units."""
    sign = "-" if amount.amount_minor < 0 else ""
    units, cents = divmod(abs(amount.amount_minor), 100)
    return f"{sign}{units}.{cents:02d} {amount.currency}"


def approver(email: str) -> Contact:
    """An approver is known only by address: no person id, no language of their own."""
    return Contact(person_id=f"approver:{email}", email=email, locale="en")


@dataclass(frozen=True)
class _Addresser:
    """Makes the requests of one event: same cause, same subject, one id per recipient."""

    event: Event
    cause_event_id: str

    def __call__(self, template: str, recipient: Contact, **facts: Any) -> EmailRequest:
        return EmailRequest(
            email_id(self.cause_event_id, template, recipient.person_id),
            template,
            recipient,
            self.event.subject(),
            getattr(self.event, "account_id", ""),
            {"name": recipient.name or recipient.email, **facts},
        )


def emails_for(event: Event, cause_event_id: str) -> list[EmailRequest]:
    compose = _COMPOSERS.get(type(event))
    return compose(event, _Addresser(event, cause_event_id)) if compose else []


def _purchased(event: SubscriptionPurchased, to: _Addresser) -> list[EmailRequest]:
    if event.converts_trial:  # R10: the conversion is accepted at once; `activated` follows
        return []
    return [
        to(
            "agreement",
            event.administrator,
            product=event.product,
            tier=event.tier,
            quantity=event.quantity,
            agreement_url=event.agreement_url,
            accept_by=event.activation_deadline.date().isoformat(),
        )
    ]


def _activated(event: SubscriptionActivated, to: _Addresser) -> list[EmailRequest]:
    return [to("activated", event.administrator, quantity=event.quantity, term_end=event.term_end.date().isoformat())]


def _cancellation(event: CancellationScheduled, to: _Addresser) -> list[EmailRequest]:
    return [
        to(
            "cancellation_confirmed",
            event.administrator,
            reason=event.reason,
            effective_at=event.effective_at.date().isoformat(),
        )
    ]


def _deprovisioned(event: SeatsDeprovisioned, to: _Addresser) -> list[EmailRequest]:
    return [
        to(
            "deprovisioned",
            event.administrator,
            revoked=len(event.revoked_user_ids),
            ended_at=event.deprovisioned_at.date().isoformat(),
        )
    ]


def _amendment(event: AmendmentProposed, to: _Addresser) -> list[EmailRequest]:
    quoted_total = Money(
        amount_minor=event.quoted_credit.amount_minor + event.quoted_charge.amount_minor,
        currency=event.quoted_charge.currency,
    )
    return [
        to(
            "amendment",
            event.administrator,
            from_tier=event.from_tier,
            to_tier=event.to_tier,
            new_price=money(event.new_unit_price),
            quoted_credit=money(event.quoted_credit),
            quoted_charge=money(event.quoted_charge),
            quoted_total=money(quoted_total),
            accept_url=event.accept_url,
            proposed_on=event.proposed_at.date().isoformat(),
        )
    ]


def _transferred(event: AdministratorTransferred, to: _Addresser) -> list[EmailRequest]:
    """R17: the new administrator is told they have full control; the previous one, that they lost it."""
    on = event.transferred_at.date().isoformat()
    previous, new = event.previous_administrator, event.new_administrator
    return [
        to(
            "administrator_transferred",
            new,
            previous_name=previous.name or previous.email,
            subscription_id=event.subscription_id,
            transferred_on=on,
        ),
        to(
            "administrator_replaced",
            previous,
            new_name=new.name or new.email,
            subscription_id=event.subscription_id,
            transferred_on=on,
        ),
    ]


def invoicing_contact(address: str, name: str | None, language: str | None) -> Contact:
    """Where the buyer wants invoices (their billing details): an address, not a person, so its
    id is made from the address (the e-mail id, hence sending once, rests on it)."""
    key = uuid.uuid5(uuid.NAMESPACE_URL, f"entitle:invoicing:{address.strip().lower()}")
    return Contact(person_id=f"invoicing:{key}", email=address, name=name or "", locale=language or "en")


def _invoice(event: InvoiceIssued, to: _Addresser) -> list[EmailRequest]:
    """Issue 15, item 3: to the administrator, and to the buyer's invoicing address when it is
    another one; each carries the invoice's PDF (`document_id`) once billing has printed it."""
    facts: dict[str, Any] = dict(
        number=event.number,
        credit_note=event.kind == "credit_note",
        total=money(event.total),
        po_number=event.po_number,
        url=event.url,
        issued_on=event.issued_at.date().isoformat(),
        lines=[{"description": line.description, "amount": money(line.amount)} for line in event.lines],
    )
    recipients = [event.administrator]
    invoicing = (event.invoicing_email or "").strip()
    if invoicing and invoicing.lower() != event.administrator.email.strip().lower():
        recipients.append(invoicing_contact(invoicing, event.buyer_name, event.language))
    return [replace(to("invoice_issued", recipient, **facts), document_id=event.invoice_id) for recipient in recipients]


def amount(value: Money) -> dict[str, Any]:
    """An amount as facts keep it (JSON, exact): the template writes it as the e-mail's language
    writes money (adapters.rendering's `money` filter, Babel), as the invoice page does."""
    return {"amount_minor": value.amount_minor, "currency": value.currency}


def grouped(reference: str | None) -> str:
    """An ISO 11649 reference in groups of four, as the invoice prints it: RF18 5390 0754 7034."""
    compact = "".join((reference or "").split()).upper()
    return " ".join(compact[i : i + 4] for i in range(0, len(compact), 4))


def in_language(person: Contact, language: str) -> Contact:
    """Dunning writes in the invoice's language (issue 15, item 6), whatever the person's own."""
    return person.model_copy(update={"locale": language})


def _reminder(event: PaymentReminderDue, to: _Addresser) -> list[EmailRequest]:
    """Issue 15, item 6: what is still owed on an overdue invoice, how to pay it and, when the
    invoice pays a whole term, the day access is suspended if it stays unpaid. To the
    administrator, and to the buyer's invoicing address when it is another one."""
    facts: dict[str, Any] = dict(
        number=event.number,
        step=event.step,
        days_overdue=event.days_overdue,
        due_on=event.due_on.isoformat(),
        open_amount=amount(event.open_amount),
        total=amount(event.total),
        partly_paid=event.open_amount != event.total,
        payment_reference=grouped(event.payment_reference),
        suspends_on=event.suspends_on.isoformat() if event.suspends_on else None,
        url=event.url,
    )
    recipients = [in_language(event.administrator, event.language)]
    invoicing = (event.invoicing_email or "").strip()
    if invoicing and invoicing.lower() != event.administrator.email.strip().lower():
        recipients.append(invoicing_contact(invoicing, None, event.language))
    return [to("payment_reminder", recipient, **facts) for recipient in recipients]


def _suspended(event: SubscriptionsSuspended, to: _Addresser) -> list[EmailRequest]:
    """Issue 15, item 6: access is suspended because the invoice is unpaid; paying it gives it back."""
    return [
        to(
            "subscriptions_suspended",
            in_language(event.administrator, event.language),
            number=event.number,
            due_on=event.due_on.isoformat(),
            open_amount=amount(event.open_amount),
            subscriptions=len({period.subscription_id for period in event.periods}),
            suspended_on=event.suspended_at.date().isoformat(),
            url=event.url,
        )
    ]


def _reinstated(event: SubscriptionsReinstated, to: _Addresser) -> list[EmailRequest]:
    """Issue 15, item 6: access is back, because the invoice was paid or a credit note cleared it."""
    return [
        to(
            "subscriptions_reinstated",
            in_language(event.administrator, event.language),
            number=event.number,
            why=event.why,
            subscriptions=len(set(event.subscription_ids)),
            reinstated_on=event.reinstated_at.date().isoformat(),
        )
    ]


def _awaiting_approval(event: OrderAwaitingApproval, to: _Addresser) -> list[EmailRequest]:
    """R19: the approver is asked; the reseller is told who decides."""
    order = dict(
        order_id=event.subscription_id,
        product=event.product,
        tier=event.tier,
        quantity=event.quantity,
        project_id=event.project_id,
        ordered_on=event.ordered_at.date().isoformat(),
    )
    return [
        to(
            "approval_request",
            approver(event.approver_email),
            reseller_name=event.reseller.name or event.reseller.email,
            **order,
        ),
        to("approval_pending", event.reseller, approver_email=event.approver_email, **order),
    ]


def _grace(event: GraceStarted, to: _Addresser) -> list[EmailRequest]:
    return [
        to(
            "grace_started",
            event.administrator,
            term_end=event.term_end.date().isoformat(),
            grace_ends_at=event.grace_ends_at.date().isoformat(),
            cancelled=event.cancelled,
        )
    ]


def _trial_ended(event: TrialEnded, to: _Addresser) -> list[EmailRequest]:
    if event.outcome != "fallback":  # a conversion is confirmed by the `activated` e-mail
        return []
    return [
        to(
            "trial_ended",
            event.administrator,
            fallback_tier=event.fallback_tier or "standard",
            ended_on=event.ended_at.date().isoformat(),
        )
    ]


def _verification(event: VerificationEmailRequested, to: _Addresser) -> list[EmailRequest]:
    """R1: the single-use link and when it stops working (UTC, to the minute)."""
    return [
        to(
            "verification",
            event.person,
            verify_url=event.verify_url,
            expires_at=event.expires_at.strftime("%Y-%m-%d %H:%M UTC"),
        )
    ]


def _password_reset(event: PasswordResetRequested, to: _Addresser) -> list[EmailRequest]:
    """R1: the single-use link to choose a new password and when it stops working (UTC)."""
    return [
        to(
            "password_reset",
            event.person,
            reset_url=event.reset_url,
            expires_at=event.expires_at.strftime("%Y-%m-%d %H:%M UTC"),
        )
    ]


def _invited(event: UserInvited, to: _Addresser) -> list[EmailRequest]:
    """R22: a resend is a re-invitation, with a new invitation and so a new e-mail."""
    return [
        to(
            "reinvitation" if event.resend else "invitation",
            event.user,
            inviter_name=event.invited_by.name or event.invited_by.email,
            register_url=event.register_url,
            invited_on=event.invited_at.date().isoformat(),
        )
    ]


def _contact_added(event: ContactAdded, to: _Addresser) -> list[EmailRequest]:
    """R4: a registered person is linked at once, without an e-mail; anyone else is invited,
    but a seat user only by seats' own invitation (R39)."""
    if event.linked or event.seat_user:
        return []
    return [
        to(
            "contact_invitation",
            event.contact,
            company_name=event.company_name,
            inviter_name=event.added_by.name or event.added_by.email,
            register_url=event.register_url,
        )
    ]


def _assigned(event: SeatAssigned, to: _Addresser) -> list[EmailRequest]:
    """R41: every assigned user, registered or not, gets their licence: a web product's start
    link; a desktop product's download link and, node-locked, the key kept for them. Once per
    assignment: the e-mail id comes from the event's id. An event from before seats said how the
    seat is used (no licence type) sends nothing: its user was assigned long ago."""
    if event.licence_type is None:
        return []
    software = event.software
    user = Contact(person_id=event.user_id, email=event.email, name=event.name, locale=event.locale)
    node_locked = event.licence_type is LicenceType.NODE_LOCKED
    return [
        to(
            "licence",
            user,
            product=event.product,
            licence_type=event.licence_type.value,
            kind=software.kind if software else "",
            start_url=software.start_url if software else "",
            download_url=(software.download_url or "") if software else "",
            activation_key=(event.activation_key or "") if node_locked else "",
            node_locked=node_locked,
            assigned_on=event.assigned_at.date().isoformat(),
        )
    ]


def _unassigned(event: SeatUnassigned, to: _Addresser) -> list[EmailRequest]:
    """R24, R10: access ends at once; the user falls back to a trial or to Standard."""
    return [
        to("access_removed", event.user, fallback=event.fallback, removed_on=event.unassigned_at.date().isoformat())
    ]


def _verification_lapsed(event: AccountVerificationLapsed, to: _Addresser) -> list[EmailRequest]:
    """R3: 60 days passed without accepted documents; the administrator is told."""
    return [
        to(
            "account_verification_lapsed",
            event.administrator,
            registered_on=event.registered_at.date().isoformat(),
            lapsed_on=event.lapsed_at.date().isoformat(),
        )
    ]


def _registration_attempted(event: RegistrationAttempted, to: _Addresser) -> list[EmailRequest]:
    """R1: registration answers alike for a new and a taken address, so that it tells nobody
    which addresses have an account; the owner of a taken one learns of the attempt here."""
    return [to("registration_attempted", event.person, attempted_at=event.attempted_at.strftime("%Y-%m-%d %H:%M UTC"))]


# Each composer takes the event type it is filed under (hence Any: a dict cannot say so).
_COMPOSERS: dict[type[Event], Callable[[Any, _Addresser], list[EmailRequest]]] = {
    SubscriptionPurchased: _purchased,
    SubscriptionActivated: _activated,
    CancellationScheduled: _cancellation,
    SeatsDeprovisioned: _deprovisioned,
    AmendmentProposed: _amendment,
    AdministratorTransferred: _transferred,
    InvoiceIssued: _invoice,
    PaymentReminderDue: _reminder,
    SubscriptionsSuspended: _suspended,
    SubscriptionsReinstated: _reinstated,
    OrderAwaitingApproval: _awaiting_approval,
    GraceStarted: _grace,
    TrialEnded: _trial_ended,
    VerificationEmailRequested: _verification,
    PasswordResetRequested: _password_reset,
    UserInvited: _invited,
    ContactAdded: _contact_added,
    SeatUnassigned: _unassigned,
    SeatAssigned: _assigned,
    AccountVerificationLapsed: _verification_lapsed,
    RegistrationAttempted: _registration_attempted,
}
EVENTS_WITH_EMAILS: tuple[type[Event], ...] = tuple(_COMPOSERS)


@dataclass(frozen=True)
class OutgoingEmail:
    """One e-mail to one recipient because of one event, as the delivery log keeps it:
    rendered once, sent once."""

    email_id: str
    caused_by: str
    template: str
    locale: str
    recipient_id: str
    recipient_email: str
    subscription_id: str
    correlation_id: str
    subject: str
    text: str
    html: str
    account_id: str = ""
    status: str = "pending"
    attempts: int = 0
    last_error: str | None = None
    next_attempt_at: datetime | None = None
    sent_at: datetime | None = None
    rejected_at: datetime | None = None
    created_at: datetime | None = None  # set when queued
    # An invoice e-mail (issue 15, item 3): the invoice whose PDF it carries, whether it does
    # (`attached`), and, while it waits for the PDF (status `held`), its facts as JSON, to be
    # written again with the link only if the PDF does not come.
    document_id: str | None = None
    attached: bool = False
    facts: str | None = None


def rejected(email: OutgoingEmail, reason: str, at: datetime) -> EmailRejected:
    """R34: what is reported, once, of an e-mail rejected for good. Never the address."""
    return EmailRejected(
        email_id=email.email_id,
        template=email.template,
        recipient_id=email.recipient_id,
        subscription_id=email.subscription_id,
        caused_by=email.caused_by,
        reason=reason[:2000],
        rejected_at=at,
    )
