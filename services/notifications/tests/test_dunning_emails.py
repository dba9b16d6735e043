"""Dunning e-mails (issue 15, item 6): billing's payment reminder, suspension and reinstatement,
each in the invoice's language, with the amount and the dates written as that language writes
them (Babel), to the right people, once per event however often it comes."""

from __future__ import annotations

import pytest

from contracts import testing
from contracts.billing import PaymentReminderDue, SubscriptionsReinstated, SubscriptionsSuspended
from contracts.testing import eur
from notifications.adapters.rendering import render
from notifications.domain.emails import LOCALES, EmailRequest, emails_for

from .samples import admin

NBSP, NNBSP = "\u00a0", "\u202f"

# What each language writes, as a European supplier writes it: written down here, not computed.
WRITTEN = {
    "en": {
        "open": "€1,234.50",
        "total": "€2,000.00",
        "due": "February 4, 2026",
        "suspends": "March 6, 2026",
        "suspended": "March 6, 2026",
        "reinstated": "March 11, 2026",
        "subjects": ("Payment reminder", "Access suspended", "Access restored"),
        "suspension": "suspended",
        "reference": "Payment reference",
        "paid": "Thank you for your payment",
        "void": "credit note",
    },
    "fr": {
        "open": f"1{NNBSP}234,50{NBSP}€",
        "total": f"2{NNBSP}000,00{NBSP}€",
        "due": "4 février 2026",
        "suspends": "6 mars 2026",
        "suspended": "6 mars 2026",
        "reinstated": "11 mars 2026",
        "subjects": ("Rappel de paiement", "Accès suspendu", "Accès rétabli"),
        "suspension": "suspendu",
        "reference": "Référence de paiement",
        "paid": "Nous vous remercions de votre paiement",
        "void": "avoir",
    },
    "nl": {
        "open": f"€{NBSP}1.234,50",
        "total": f"€{NBSP}2.000,00",
        "due": "4 februari 2026",
        "suspends": "6 maart 2026",
        "suspended": "6 maart 2026",
        "reinstated": "11 maart 2026",
        "subjects": ("Betalingsherinnering", "Toegang opgeschort", "Toegang hersteld"),
        "suspension": "opgeschort",
        "reference": "Betalingsreferentie",
        "paid": "Hartelijk dank voor uw betaling",
        "void": "creditnota",
    },
    "de": {
        "open": f"1.234,50{NBSP}€",
        "total": f"2.000,00{NBSP}€",
        "due": "4. Februar 2026",
        "suspends": "6. März 2026",
        "suspended": "6. März 2026",
        "reinstated": "11. März 2026",
        "subjects": ("Zahlungserinnerung", "Zugang gesperrt", "Zugang wiederhergestellt"),
        "suspension": "gesperrt",
        "reference": "Zahlungsreferenz",
        "paid": "vielen Dank für Ihre Zahlung",
        "void": "Gutschrift",
    },
}
NUMBER, URL = "INV-2026-000001", "http://portal.test/invoices/inv-1?x=1&y=2"
ADA_ESCAPED = "Ada &lt;Admin&gt;"


def reminder(language: str = "en", **overrides: object) -> PaymentReminderDue:
    """testing's first reminder, 1 234,50 € still open of 2 000,00 €, to Ada <Admin>, whose own
    language is German: the reminder is written in the invoice's language all the same."""
    return testing.payment_reminder_due(
        **{
            "language": language,
            "administrator": admin("de"),
            "open_amount": eur(123450),
            "total": eur(200000),
            "payment_reference": "RF18539007547034",
            "url": URL,
            **overrides,
        }
    )


def suspended(language: str = "en", **overrides: object) -> SubscriptionsSuspended:
    return testing.subscriptions_suspended(
        **{"language": language, "administrator": admin("de"), "open_amount": eur(123450), "url": URL, **overrides}
    )


def reinstated(language: str = "en", **overrides: object) -> SubscriptionsReinstated:
    return testing.subscriptions_reinstated(**{"language": language, "administrator": admin("de"), **overrides})


def rendered(request: EmailRequest):
    return render(request.template, request.locale, request.facts)


def both(email) -> list[str]:
    return [email.text, email.html]


@pytest.mark.parametrize("language", LOCALES)
def test_issue_15_a_payment_reminder_says_what_is_open_when_it_was_due_how_to_pay_and_when_access_stops(language):
    words = WRITTEN[language]
    [request, *_] = emails_for(reminder(language), "event-1")
    assert (request.template, request.locale, request.recipient.person_id) == ("payment_reminder", language, "p-1")
    email = rendered(request)
    assert email.subject.startswith(words["subjects"][0]) and NUMBER in email.subject
    assert "Ada <Admin>" in email.text and ADA_ESCAPED in email.html and "Ada <Admin>" not in email.html
    for part in both(email):
        assert NUMBER in part and words["open"] in part and words["total"] in part and words["due"] in part
        assert "RF18 5390 0754 7034" in part and words["reference"] in part
        assert words["suspends"] in part and words["suspension"] in part
    assert " 3 " in email.text  # days overdue
    assert URL in email.text and "invoices/inv-1?x=1&amp;y=2" in email.html


@pytest.mark.parametrize("language", LOCALES)
def test_issue_15_a_reminder_without_a_suspension_date_says_nothing_of_a_suspension(language):
    words = WRITTEN[language]
    [request] = emails_for(reminder(language, suspends_on=None, invoicing_email=None), "event-1")
    email = rendered(request)
    for part in [email.subject, *both(email)]:
        assert words["suspension"] not in part.lower() and words["suspends"] not in part
    assert all(words["open"] in part and words["due"] in part for part in both(email))


@pytest.mark.parametrize("language", LOCALES)
def test_issue_15_a_reminder_without_a_payment_reference_names_none(language):
    [request] = emails_for(reminder(language, payment_reference=None, invoicing_email=None), "event-1")
    email = rendered(request)
    assert request.facts["payment_reference"] == ""
    for part in both(email):
        assert WRITTEN[language]["reference"].lower() not in part.lower() and "RF" not in part


@pytest.mark.parametrize("language", LOCALES)
def test_issue_15_a_reminder_of_an_unpaid_invoice_shows_no_total_beside_the_open_amount(language):
    [request] = emails_for(reminder(language, total=eur(123450), invoicing_email=None), "event-1")
    email = rendered(request)
    for part in both(email):
        assert part.count(WRITTEN[language]["open"]) == 1 and WRITTEN[language]["total"] not in part


@pytest.mark.parametrize("language", LOCALES)
def test_issue_15_a_suspension_says_which_invoice_is_unpaid_what_is_open_and_that_paying_restores_access(language):
    words = WRITTEN[language]
    [request] = emails_for(suspended(language), "event-1")
    assert (request.template, request.locale, request.recipient.email) == (
        "subscriptions_suspended",
        language,
        "ada@example.com",
    )
    email = rendered(request)
    assert email.subject.startswith(words["subjects"][1]) and NUMBER in email.subject
    assert ADA_ESCAPED in email.html
    for part in both(email):
        assert NUMBER in part and words["open"] in part and words["due"] in part and words["suspended"] in part
        assert words["suspension"] in part
    assert URL in email.text and "invoices/inv-1?x=1&amp;y=2" in email.html


@pytest.mark.parametrize("language", LOCALES)
@pytest.mark.parametrize("why", ["paid", "void"])
def test_issue_15_a_reinstatement_says_access_is_back_and_why(language, why):
    words = WRITTEN[language]
    [request] = emails_for(reinstated(language, why=why), "event-1")
    assert (request.template, request.locale, request.recipient.email) == (
        "subscriptions_reinstated",
        language,
        "ada@example.com",
    )
    email = rendered(request)
    assert email.subject.startswith(words["subjects"][2]) and NUMBER in email.subject
    other = "void" if why == "paid" else "paid"
    for part in both(email):
        assert NUMBER in part and words["reinstated"] in part and words[why] in part and words[other] not in part


def test_issue_15_a_reminder_goes_to_the_administrator_and_to_the_invoicing_address_when_it_is_another():
    requests = emails_for(reminder("nl", invoicing_email="invoices@example.com"), "event-1")
    assert [(r.recipient.email, r.locale) for r in requests] == [
        ("ada@example.com", "nl"),
        ("invoices@example.com", "nl"),
    ]
    assert len({r.email_id for r in requests}) == 2
    assert {r.account_id for r in requests} == {testing.ACCOUNT_ID}


@pytest.mark.parametrize("invoicing", [None, "", "  ", "ADA@example.com "])
def test_issue_15_a_reminder_goes_once_when_the_invoicing_address_is_the_administrators_or_none(invoicing):
    requests = emails_for(reminder(invoicing_email=invoicing), "event-1")
    assert [r.recipient.email for r in requests] == ["ada@example.com"]


def test_issue_15_suspension_and_reinstatement_go_to_the_administrator_alone():
    for event in (suspended(), reinstated()):
        assert [r.recipient.person_id for r in emails_for(event, "event-1")] == ["p-1"]


def test_issue_15_dunning_in_a_language_not_written_falls_back_to_english():
    for event, day in ((reminder("es"), "due"), (suspended("pt-BR"), "due"), (reinstated("it"), "reinstated")):
        for request in emails_for(event, "event-1"):
            assert request.locale == "en" and WRITTEN["en"][day] in rendered(request).text


def test_issue_15_dunning_email_ids_come_from_the_event_id():
    event = reminder()
    assert [r.email_id for r in emails_for(event, "event-1")] == [r.email_id for r in emails_for(event, "event-1")]
    assert not {r.email_id for r in emails_for(event, "event-1")} & {r.email_id for r in emails_for(event, "event-2")}


def test_issue_15_a_name_cannot_inject_a_header():
    """The name is in the body only; the subject carries the invoice number alone."""
    evil = admin().model_copy(update={"name": "Ada\r\nBcc: eve@example.com"})
    for event in (reminder(administrator=evil), suspended(administrator=evil), reinstated(administrator=evil)):
        for request in emails_for(event, "event-1"):
            email = rendered(request)
            assert "\n" not in email.subject and "\r" not in email.subject and "Bcc" not in email.subject


async def test_issue_15_a_duplicate_dunning_event_is_queued_and_sent_once(notifications, sink):
    envelopes = await notifications.consume(reminder("fr"), suspended("de"), reinstated("nl"))
    await notifications.consume(envelopes=envelopes)  # the same events again, as a replay brings them
    queued = await notifications.emails()
    assert sorted((e.template, e.recipient_email, e.locale) for e in queued) == [
        ("payment_reminder", "ada@example.com", "fr"),
        ("payment_reminder", "invoices@example.com", "fr"),
        ("subscriptions_reinstated", "ada@example.com", "nl"),
        ("subscriptions_suspended", "ada@example.com", "de"),
    ]
    assert {e.status for e in queued} == {"pending"}
    assert await notifications.send_round() == 4
    await notifications.consume(envelopes=envelopes)
    assert await notifications.send_round() == 0
    received = sink.received()
    assert sorted((m.template, m.to) for m in received) == [
        ("payment_reminder", "ada@example.com"),
        ("payment_reminder", "invoices@example.com"),
        ("subscriptions_reinstated", "ada@example.com"),
        ("subscriptions_suspended", "ada@example.com"),
    ]
    [reminded, *_] = [m for m in received if m.template == "payment_reminder"]
    assert reminded.subject == f"Rappel de paiement : facture {NUMBER}" and WRITTEN["fr"]["open"] in reminded.text
