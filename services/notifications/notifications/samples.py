"""One sample of every event that causes e-mails, for a recipient of a given language.

The facts the tests render, and what `python -m notifications.preview` shows."""
from __future__ import annotations

from datetime import datetime, timedelta, timezone

from contracts.billing import InvoiceIssued, InvoiceLineView
from contracts.envelope import Event
from contracts.identity import (
    AccountVerificationLapsed, ContactAdded, RegistrationAttempted, VerificationEmailRequested,
)
from contracts.seats import SeatsDeprovisioned, SeatUnassigned, UserInvited
from contracts.subscriptions import (
    AdministratorTransferred, AmendmentProposed, CancellationScheduled, GraceStarted,
    OrderAwaitingApproval, SubscriptionActivated, SubscriptionPurchased, TrialEnded,
)
from contracts.values import BillingCycle, Contact, LicenceType, Money

AT = datetime(2026, 1, 5, tzinfo=timezone.utc)
SID, ACCOUNT = "s-1", "a-1"


def eur(minor: int) -> Money:
    return Money(amount_minor=minor, currency="EUR")


def admin(locale: str = "en") -> Contact:
    return Contact(person_id="p-1", email="ada@example.com", name="Ada <Admin>", locale=locale)


def new_admin(locale: str = "en") -> Contact:
    return Contact(person_id="p-2", email="nia@example.com", name="Nia <New>", locale=locale)


def purchased(locale: str = "en", converts_trial: bool = False) -> SubscriptionPurchased:
    return SubscriptionPurchased(
        subscription_id=SID, account_id=ACCOUNT, administrator=admin(locale), product="designer",
        tier="standard", licence_type=LicenceType.NAMED_USER, billing_cycle=BillingCycle.ANNUAL,
        quantity=3, unit_price=eur(1), ordered_at=AT, activation_deadline=AT,
        agreement_url="http://portal/s-1/agreement?x=1&y=2", converts_trial=converts_trial)


def activated(locale: str = "en") -> SubscriptionActivated:
    return SubscriptionActivated(
        subscription_id=SID, account_id=ACCOUNT, administrator=admin(locale),
        licence_type=LicenceType.NAMED_USER, billing_cycle=BillingCycle.ANNUAL, quantity=3,
        unit_price=eur(36500), activated_at=AT, term_start=AT, term_end=AT + timedelta(days=365))


def amendment(locale: str = "en") -> AmendmentProposed:
    """The worked example of docs/lifecycle.md: Premium → Premium Plus with 184 of 365 days left."""
    return AmendmentProposed(
        amendment_id="am-1", subscription_id=SID, account_id=ACCOUNT, administrator=admin(locale),
        from_tier="premium", to_tier="premium_plus", new_unit_price=eur(109500),
        quoted_credit=eur(-73600), quoted_charge=eur(110400), proposed_at=AT,
        accept_url="http://portal/s-1/amendments/am-1?x=1&y=2")


def transferred(locale: str = "en") -> AdministratorTransferred:
    return AdministratorTransferred(subscription_id=SID, account_id=ACCOUNT, previous_administrator=admin(locale),
                                    new_administrator=new_admin(locale), transferred_at=AT)


def invoice(locale: str = "en", po_number: str | None = "PO-<7>") -> InvoiceIssued:
    lines = [InvoiceLineView(description="Premium Plus, 2 seats, 184 of 365 days", subscription_id=SID,
                             amount=eur(110400)),
             InvoiceLineView(description="Unused Premium, 2 seats", subscription_id=SID, amount=eur(-73600))]
    return InvoiceIssued(invoice_id="inv-1", number="INV-2026-000042", account_id=ACCOUNT,
                         administrator=admin(locale), po_number=po_number, issued_at=AT, lines=lines,
                         total=eur(36800), url="http://billing/invoices/inv-1")


def awaiting_approval(locale: str = "en") -> OrderAwaitingApproval:
    reseller = Contact(person_id="p-r", email="rex@reseller.example", name="Rex <Reseller>", locale=locale)
    return OrderAwaitingApproval(
        subscription_id=SID, account_id=ACCOUNT, project_id="proj-1", reseller=reseller,
        approver_email="boss@customer.example", product="designer", tier="premium", quantity=5, ordered_at=AT)


def grace(locale: str = "en") -> GraceStarted:
    return GraceStarted(subscription_id=SID, account_id=ACCOUNT, administrator=admin(locale), term_end=AT,
                        grace_ends_at=AT + timedelta(days=10))


def trial_ended(locale: str = "en", outcome: str = "fallback") -> TrialEnded:
    return TrialEnded(subscription_id=SID, account_id=ACCOUNT, administrator=admin(locale), outcome=outcome,
                      fallback_tier="standard" if outcome == "fallback" else None, ended_at=AT)


def user(locale: str = "en") -> Contact:
    return Contact(person_id="u-1", email="uma@example.com", name="Uma <User>", locale=locale)


def verification(locale: str = "en") -> VerificationEmailRequested:
    return VerificationEmailRequested(person=user(locale), verify_url="http://identity/verify?token=s3cr3t&x=1",
                                      expires_at=AT + timedelta(hours=24))


def invited(locale: str = "en", resend: bool = False) -> UserInvited:
    return UserInvited(subscription_id=SID, account_id=ACCOUNT, invitation_id="inv-2" if resend else "inv-1",
                       user=user(locale), invited_by=admin(locale), resend=resend,
                       register_url="http://identity/register?email=uma%40example.com&x=1", invited_at=AT)


def contact_added(locale: str = "en", linked: bool = False) -> ContactAdded:
    return ContactAdded(account_id=ACCOUNT, company_name="Acme <Tools>", contact=user(locale), linked=linked,
                        added_by=admin(locale), register_url="http://identity/register?x=1&y=2", added_at=AT)


def unassigned(locale: str = "en", fallback: str = "trial") -> SeatUnassigned:
    return SeatUnassigned(subscription_id=SID, account_id=ACCOUNT, user=user(locale), fallback=fallback,
                          unassigned_at=AT)


def verification_lapsed(locale: str = "en") -> AccountVerificationLapsed:
    return AccountVerificationLapsed(account_id=ACCOUNT, administrator=admin(locale), registered_at=AT,
                                     lapsed_at=AT + timedelta(days=60))


def registration_attempted(locale: str = "en") -> RegistrationAttempted:
    return RegistrationAttempted(person=user(locale), attempted_at=AT + timedelta(hours=9, minutes=30))


def every_event(locale: str = "en") -> list[Event]:
    return [
        purchased(locale), activated(locale),
        CancellationScheduled(subscription_id=SID, account_id=ACCOUNT, administrator=admin(locale),
                              reason="budget", requested_at=AT, effective_at=AT),
        SeatsDeprovisioned(subscription_id=SID, account_id=ACCOUNT, administrator=admin(locale),
                           revoked_user_ids=["u-1", "u-2"], deprovisioned_at=AT),
        amendment(locale), transferred(locale), invoice(locale), awaiting_approval(locale),
        grace(locale), trial_ended(locale), verification(locale), invited(locale),
        invited(locale, resend=True), contact_added(locale), unassigned(locale), verification_lapsed(locale),
        registration_attempted(locale),
    ]
