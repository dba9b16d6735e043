"""Events as the other services publish them, for billing's unit tests."""
from __future__ import annotations

from datetime import datetime, timedelta, timezone

import pytest

from contracts.seats import SeatDecreaseScheduled, SeatQuantityChanged
from contracts.subscriptions import (
    AddonAdded, AdministratorTransferred, PurchaseDetailsChanged, SubscriptionActivated,
    AddonInTerm, SubscriptionPurchased, SubscriptionRenewed, TierChanged, TrialStarted,
)
from contracts.values import BillingCycle, Contact, LicenceType, Money

START = datetime(2026, 1, 5, 9, 0, tzinfo=timezone.utc)
YEAR_END = datetime(2027, 1, 5, 9, 0, tzinfo=timezone.utc)
ADA = Contact(person_id="p-ada", email="ada@example.com", name="Ada")
BOB = Contact(person_id="p-bob", email="bob@example.com", name="Bob")


def eur(minor: int) -> Money:
    return Money(amount_minor=minor, currency="EUR")


class Events:
    """Factories with the defaults of one annual subscription of 2 seats at 365.00 EUR."""

    START, YEAR_END, ADA, BOB = START, YEAR_END, ADA, BOB
    eur = staticmethod(eur)

    @staticmethod
    def purchased(sid="s-1", account="a-1", cycle=BillingCycle.ANNUAL, po=None, quantity=2, price=36500,
                  tier="standard", admin=ADA, converts_trial=False):
        return SubscriptionPurchased(
            subscription_id=sid, account_id=account, administrator=admin, product="designer",
            tier=tier, licence_type=LicenceType.NAMED_USER, billing_cycle=cycle,
            quantity=quantity, unit_price=eur(price), ordered_at=START,
            activation_deadline=START + timedelta(days=90), agreement_url="http://x", po_number=po,
            converts_trial=converts_trial)

    @staticmethod
    def activated(sid="s-1", account="a-1", cycle=BillingCycle.ANNUAL, quantity=2, price=36500,
                  start=START, end=YEAR_END, po=None, admin=ADA, tier="standard"):
        return SubscriptionActivated(
            subscription_id=sid, account_id=account, administrator=admin,
            licence_type=LicenceType.NAMED_USER, billing_cycle=cycle, quantity=quantity,
            unit_price=eur(price), activated_at=start, term_start=start, term_end=end,
            product="designer", tier=tier, po_number=po)

    @classmethod
    def bought(cls, sid="s-1", account="a-1", cycle=BillingCycle.ANNUAL, quantity=2, price=36500,
               po=None, tier="standard", **activation):
        """The purchase, then its activation: what billing sees of a subscription that starts."""
        same = dict(sid=sid, account=account, cycle=cycle, quantity=quantity, price=price, po=po, tier=tier)
        return [cls.purchased(**same), cls.activated(**same, **activation)]

    @staticmethod
    def renewed(sid="s-1", account="a-1", cycle=BillingCycle.ANNUAL, price=36500, start=YEAR_END,
                end=datetime(2028, 1, 5, 9, 0, tzinfo=timezone.utc), po=None, addons=()):
        return SubscriptionRenewed(
            subscription_id=sid, account_id=account, administrator=ADA, product="designer",
            tier="standard", billing_cycle=cycle, unit_price=eur(price), term_start=start,
            term_end=end, renewed_at=start, how="automatic", po_number=po,
            addons=[AddonInTerm(addon=code, unit_price=eur(amount)) for code, amount in addons])

    @staticmethod
    def seats_changed(previous, new, at, sid="s-1", account="a-1", start=START, end=YEAR_END, price=36500):
        return SeatQuantityChanged(
            subscription_id=sid, account_id=account, previous_quantity=previous, new_quantity=new,
            requested_at=at, effective_at=at, term_start=start, term_end=end, unit_price=eur(price))

    @staticmethod
    def decrease_scheduled(current, scheduled, at, sid="s-1", effective=YEAR_END):
        return SeatDecreaseScheduled(subscription_id=sid, account_id="a-1", current_quantity=current,
                                     scheduled_quantity=scheduled, requested_at=at, effective_at=effective)

    @staticmethod
    def tier_changed(at, quantity=2, old=73000, new=109500, sid="s-1", start=START, end=YEAR_END,
                     from_tier="premium", to_tier="premium_plus"):
        return TierChanged(
            amendment_id="am-1", subscription_id=sid, account_id="a-1",
            billing_cycle=BillingCycle.ANNUAL, from_tier=from_tier, to_tier=to_tier,
            previous_unit_price=eur(old), new_unit_price=eur(new), quantity=quantity,
            effective_at=at, term_start=start, term_end=end)

    @staticmethod
    def addon_added(at, price=12000, sid="s-1"):
        return AddonAdded(subscription_id=sid, account_id="a-1", addon="render-farm",
                          unit_price=eur(price), effective_at=at, term_start=START, term_end=YEAR_END)

    @staticmethod
    def po_changed(po, at, sid="s-1"):
        return PurchaseDetailsChanged(subscription_id=sid, account_id="a-1", po_number=po,
                                      payment_method="card ending 4242", changed_at=at)

    @staticmethod
    def transferred(at, sid="s-1"):
        return AdministratorTransferred(subscription_id=sid, account_id="a-1", previous_administrator=ADA,
                                        new_administrator=BOB, transferred_at=at)

    @staticmethod
    def trial_started(sid="s-1"):
        return TrialStarted(subscription_id=sid, account_id="a-1", administrator=ADA, product="designer",
                            tier="premium", licence_type=LicenceType.NAMED_USER, started_at=START,
                            ends_at=START + timedelta(days=30))


@pytest.fixture
def events() -> type[Events]:
    return Events
