"""Which e-mails an event causes (R33) and in which language (R34)."""
from datetime import datetime, timezone

import pytest

from contracts.subscriptions import SubscriptionPurchased
from contracts.values import BillingCycle, Contact, LicenceType, Money
from notifications.domain import LOCALES, email_id, emails_for
from notifications.rendering import render

AT = datetime(2026, 1, 5, tzinfo=timezone.utc)


def purchased(locale: str) -> SubscriptionPurchased:
    return SubscriptionPurchased(
        subscription_id="s-1", account_id="a-1",
        administrator=Contact(person_id="p-1", email="ada@example.com", name="Ada <Admin>", locale=locale),
        product="designer", tier="standard", licence_type=LicenceType.NAMED_USER,
        billing_cycle=BillingCycle.ANNUAL, quantity=3, unit_price=Money(amount_minor=1, currency="EUR"),
        ordered_at=AT, activation_deadline=AT, agreement_url="http://portal/s-1/agreement?x=1&y=2")


def test_R33_a_purchase_sends_the_agreement_to_the_administrator():
    [request] = emails_for(purchased("en"), "event-1")
    assert (request.template, request.recipient.email) == ("agreement", "ada@example.com")


def test_R34_the_same_event_always_yields_the_same_email_id():
    assert emails_for(purchased("en"), "event-1")[0].email_id == email_id("event-1", "agreement", "p-1")
    assert email_id("event-1", "agreement", "p-1") != email_id("event-2", "agreement", "p-1")


@pytest.mark.parametrize("locale", LOCALES)
@pytest.mark.parametrize("template", ["agreement", "activated", "cancellation_confirmed", "deprovisioned"])
def test_R34_every_email_renders_in_every_language_with_text_and_html(template, locale):
    facts = dict(name="Ada <Admin>", product="designer", tier="standard", quantity=3,
                 agreement_url="http://portal/a?x=1&y=2", accept_by="2026-04-05", term_end="2027-01-05",
                 reason="budget", effective_at="2027-01-05", revoked=2, ended_at="2027-01-05")
    email = render(template, locale, facts)
    assert email.subject and "Ada <Admin>" in email.text
    assert "Ada &lt;Admin&gt;" in email.html and "<html>" in email.html


def test_R34_unknown_language_falls_back_to_english():
    assert emails_for(purchased("pt-BR"), "e")[0].locale == "en"
