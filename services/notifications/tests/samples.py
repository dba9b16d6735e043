"""One sample of every event that causes e-mails, for a recipient of a given language: the
events of contracts.testing, with the facts these tests check written down here.

The people carry markup in their names (`Ada <Admin>`), and the links query strings with `&`,
so that the tests see both escaped in the HTML part and left alone in the text part."""

from __future__ import annotations

from datetime import timedelta

from contracts import testing
from contracts.billing import InvoiceIssued, InvoiceLineView
from contracts.envelope import Event
from contracts.identity import (
    AccountVerificationLapsed,
    ContactAdded,
    PasswordResetRequested,
    RegistrationAttempted,
    VerificationEmailRequested,
)
from contracts.seats import SeatAssigned, SeatUnassigned, UserInvited
from contracts.subscriptions import (
    AdministratorTransferred,
    AmendmentProposed,
    GraceStarted,
    OrderAwaitingApproval,
    SubscriptionActivated,
    SubscriptionPurchased,
    TrialEnded,
    TrialStarted,
)
from contracts.testing import ACCOUNT_ID, SUBSCRIPTION_ID, contact, eur
from contracts.values import Contact, LicenceType, Software

AT = testing.T0.replace(hour=0)  # midnight: the times the e-mails show are written down from it
SID, ACCOUNT = SUBSCRIPTION_ID, ACCOUNT_ID


def person(name: str, person_id: str, shown_as: str, locale: str, **overrides: str) -> Contact:
    """contracts.testing's `contact(name)` (`<name>@example.com`), by another id and display name."""
    return contact(name, person_id=person_id, locale=locale, **overrides).model_copy(update={"name": shown_as})


def admin(locale: str = "en") -> Contact:
    return person("Ada", "p-1", "Ada <Admin>", locale)


def new_admin(locale: str = "en") -> Contact:
    return person("Nia", "p-2", "Nia <New>", locale)


def user(locale: str = "en") -> Contact:
    return person("Uma", "u-1", "Uma <User>", locale)


def purchased(locale: str = "en", converts_trial: bool = False) -> SubscriptionPurchased:
    return testing.purchased(
        administrator=admin(locale), agreement_url="http://portal/s-1/agreement?x=1&y=2", converts_trial=converts_trial
    )


def activated(locale: str = "en") -> SubscriptionActivated:
    return testing.activated(administrator=admin(locale))


def amendment(locale: str = "en") -> AmendmentProposed:
    return testing.amendment_proposed(
        administrator=admin(locale),
        from_tier="premium",
        to_tier="premium_plus",
        new_unit_price=eur(109500),
        quoted_credit=eur(-73600),
        quoted_charge=eur(110400),
        accept_url="http://portal/s-1/amendments/am-1?x=1&y=2",
    )


def transferred(locale: str = "en") -> AdministratorTransferred:
    return testing.administrator_transferred(
        previous_administrator=admin(locale), new_administrator=new_admin(locale), transferred_at=AT
    )


def invoice(locale: str = "en", po_number: str | None = "PO-<7>") -> InvoiceIssued:
    lines = [
        InvoiceLineView(description="Premium Plus, 2 seats, 184 of 365 days", subscription_id=SID, amount=eur(110400)),
        InvoiceLineView(description="Unused Premium, 2 seats", subscription_id=SID, amount=eur(-73600)),
    ]
    return testing.invoice_issued(
        invoice_id="inv-1",
        number="BE-INV-2026-000042",
        administrator=admin(locale),
        po_number=po_number,
        lines=lines,
        total=eur(36800),
        url="http://billing/invoices/inv-1",
    )


def awaiting_approval(locale: str = "en") -> OrderAwaitingApproval:
    reseller = person("Rex", "p-r", "Rex <Reseller>", locale, email="rex@reseller.example")
    return testing.order_awaiting_approval(
        reseller=reseller, approver_email="boss@customer.example", project_id="proj-1", quantity=5
    )


def grace(locale: str = "en", cancelled: bool = False) -> GraceStarted:
    return testing.grace_started(
        administrator=admin(locale), term_end=AT, grace_ends_at=AT + timedelta(days=10), cancelled=cancelled
    )


def trial_started(locale: str = "en") -> TrialStarted:
    return testing.trial_started(administrator=admin(locale))


def trial_ended(locale: str = "en", outcome: str = "fallback") -> TrialEnded:
    return testing.trial_ended(
        administrator=admin(locale), outcome=outcome, fallback_tier="standard" if outcome == "fallback" else None
    )


def verification(locale: str = "en") -> VerificationEmailRequested:
    return testing.verification_email_requested(
        person=user(locale), verify_url="http://identity/verify?token=s3cr3t&x=1", expires_at=AT + timedelta(hours=24)
    )


def password_reset(locale: str = "en") -> PasswordResetRequested:
    return testing.password_reset_requested(
        person=user(locale),
        reset_url="http://portal/password-reset?token=s3cr3t&x=1",
        expires_at=AT + timedelta(hours=1),
    )


def invited(locale: str = "en", resend: bool = False) -> UserInvited:
    return testing.user_invited(
        invitation_id="inv-2" if resend else "inv-1",
        user=user(locale),
        invited_by=admin(locale),
        resend=resend,
        register_url="http://identity/register?email=uma%40example.com&x=1",
    )


def contact_added(locale: str = "en", linked: bool = False) -> ContactAdded:
    return testing.contact_added(
        company_name="Acme <Tools>",
        contact=user(locale),
        linked=linked,
        added_by=admin(locale),
        register_url="http://identity/register?x=1&y=2",
    )


def unassigned(locale: str = "en", fallback: str = "trial") -> SeatUnassigned:
    return testing.seat_unassigned(user=user(locale), fallback=fallback)


WEB = Software(kind="web", start_url="http://designer.example.com/start?x=1&y=2")
DESKTOP = Software(
    kind="desktop",
    start_url="http://printserver.example.com/?x=1&y=2",
    download_url="http://downloads.example.com/printserver.msi?v=2&x=1",
)


def assigned(
    locale: str = "en",
    licence_type: LicenceType = LicenceType.NAMED_USER,
    software: Software | None = WEB,
    activation_key: str | None = None,
) -> SeatAssigned:
    """UMA given a seat, as seats says it since R41: with the product, how it is used, her name."""
    uma = user(locale)
    return testing.seat_assigned(
        user=uma,
        product="designer",
        licence_type=licence_type,
        software=software,
        activation_key=activation_key,
        name=uma.name,
        locale=locale,
    )


def verification_lapsed(locale: str = "en") -> AccountVerificationLapsed:
    return testing.account_verification_lapsed(administrator=admin(locale))


def registration_attempted(locale: str = "en") -> RegistrationAttempted:
    return testing.registration_attempted(person=user(locale), attempted_at=AT + timedelta(hours=9, minutes=30))


def every_event(locale: str = "en") -> list[Event]:
    return [
        purchased(locale),
        activated(locale),
        testing.cancellation_scheduled(administrator=admin(locale)),
        testing.seats_deprovisioned(administrator=admin(locale), revoked_user_ids=["u-1", "u-2"]),
        amendment(locale),
        transferred(locale),
        invoice(locale),
        awaiting_approval(locale),
        grace(locale),
        trial_ended(locale),
        verification(locale),
        password_reset(locale),
        invited(locale),
        invited(locale, resend=True),
        contact_added(locale),
        unassigned(locale),
        assigned(locale),
        verification_lapsed(locale),
        registration_attempted(locale),
        testing.payment_reminder_due(administrator=admin(locale), language=locale),
        testing.subscriptions_suspended(administrator=admin(locale), language=locale),
        testing.subscriptions_reinstated(administrator=admin(locale), language=locale),
    ]
