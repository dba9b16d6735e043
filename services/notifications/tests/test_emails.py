"""Which e-mails an event causes (R33) and in which language (R34)."""

from __future__ import annotations

from datetime import timedelta
from importlib.resources import files

import pytest

from contracts.values import Money
from notifications.adapters.rendering import render
from notifications.domain.emails import LOCALES, email_id, emails_for, money
from notifications.domain.sending import next_attempt_at

from .samples import (
    ACCOUNT,
    AT,
    activated,
    amendment,
    awaiting_approval,
    contact_added,
    every_event,
    grace,
    invited,
    invoice,
    password_reset,
    purchased,
    registration_attempted,
    transferred,
    trial_ended,
    unassigned,
    verification,
    verification_lapsed,
)


def test_R33_a_purchase_sends_the_agreement_to_the_administrator():
    [request] = emails_for(purchased("en"), "event-1")
    assert (request.template, request.recipient.email) == ("agreement", "ada@example.com")


def test_R33_a_trial_conversion_sends_no_agreement_but_still_the_activation():
    assert emails_for(purchased("en", converts_trial=True), "event-1") == []
    assert [r.template for r in emails_for(activated("en"), "event-2")] == ["activated"]


def test_R33_an_amendment_asks_the_administrator_to_accept_with_the_quoted_amounts():
    [request] = emails_for(amendment(), "event-1")
    assert (request.template, request.recipient.person_id) == ("amendment", "p-1")
    assert {
        k: request.facts[k]
        for k in ("from_tier", "to_tier", "new_price", "quoted_credit", "quoted_charge", "quoted_total")
    } == {
        "from_tier": "premium",
        "to_tier": "premium_plus",
        "new_price": "1095.00 EUR",
        "quoted_credit": "-736.00 EUR",
        "quoted_charge": "1104.00 EUR",
        "quoted_total": "368.00 EUR",
    }
    assert request.facts["accept_url"] == "http://portal/s-1/amendments/am-1?x=1&y=2"


def test_R33_an_administrator_transfer_tells_the_new_administrator_and_notices_the_previous():
    to_new, to_previous = emails_for(transferred(), "event-1")
    assert (to_new.template, to_new.recipient.person_id) == ("administrator_transferred", "p-2")
    assert to_new.facts["previous_name"] == "Ada <Admin>" and to_new.subscription_id == "s-1"
    assert (to_previous.template, to_previous.recipient.person_id) == ("administrator_replaced", "p-1")
    assert to_new.email_id != to_previous.email_id


def test_R33_an_issued_invoice_goes_to_the_administrator_about_the_account():
    [request] = emails_for(invoice(), "event-1")
    assert (request.template, request.recipient.person_id, request.subscription_id) == (
        "invoice_issued",
        "p-1",
        ACCOUNT,
    )
    assert (request.facts["number"], request.facts["total"], request.facts["po_number"]) == (
        "BE-INV-2026-000042",
        "368.00 EUR",
        "PO-<7>",
    )
    assert [line["amount"] for line in request.facts["lines"]] == ["1104.00 EUR", "-736.00 EUR"]
    assert request.facts["url"] == "http://billing/invoices/inv-1"


def test_R33_an_order_awaiting_approval_asks_the_approver_and_tells_the_reseller():
    to_approver, to_reseller = emails_for(awaiting_approval("nl"), "event-1")
    assert to_approver.template == "approval_request"
    assert (to_approver.recipient.person_id, to_approver.recipient.email, to_approver.locale) == (
        "approver:boss@customer.example",
        "boss@customer.example",
        "en",
    )
    assert to_approver.facts["reseller_name"] == "Rex <Reseller>" and to_approver.facts["quantity"] == 5
    assert (to_reseller.template, to_reseller.recipient.person_id, to_reseller.locale) == (
        "approval_pending",
        "p-r",
        "nl",
    )
    assert to_reseller.facts["approver_email"] == "boss@customer.example"


def test_R33_grace_tells_the_administrator_to_renew_before_it_ends():
    [request] = emails_for(grace(), "event-1")
    assert (request.template, request.recipient.person_id) == ("grace_started", "p-1")
    assert (request.facts["term_end"], request.facts["grace_ends_at"]) == ("2026-01-05", "2026-01-15")


def test_R33_a_trial_fallback_tells_the_administrator_of_the_free_tier_and_a_conversion_sends_nothing():
    [request] = emails_for(trial_ended(), "event-1")
    assert (request.template, request.facts["fallback_tier"]) == ("trial_ended", "standard")
    assert emails_for(trial_ended(outcome="converted"), "event-2") == []


def test_R33_a_verification_request_sends_the_link_and_its_expiry_to_the_person():
    [request] = emails_for(verification("de"), "event-1")
    assert (request.template, request.recipient.person_id, request.locale) == ("verification", "u-1", "de")
    assert (request.subscription_id, request.account_id) == ("u-1", "")  # about the person, no account
    assert request.facts["verify_url"] == "http://identity/verify?token=s3cr3t&x=1"
    assert request.facts["expires_at"] == "2026-01-06 00:00 UTC"


@pytest.mark.parametrize("locale", LOCALES)
def test_R1_a_password_reset_request_sends_the_single_use_link_and_its_expiry_to_the_person(locale):
    [request] = emails_for(password_reset(locale), "event-1")
    assert (request.template, request.recipient.person_id, request.locale) == ("password_reset", "u-1", locale)
    assert (request.subscription_id, request.account_id) == ("u-1", "")  # about the person, no account
    assert request.facts["expires_at"] == "2026-01-05 01:00 UTC"
    email = render(request.template, locale, request.facts)
    assert "password-reset?token=s3cr3t" in email.text and "password-reset?token=s3cr3t&amp;x=1" in email.html
    assert "2026-01-05 01:00 UTC" in email.text and "Uma &lt;User&gt;" in email.html


def test_R33_an_invited_user_gets_an_invitation_and_a_resend_a_reinvitation():
    [first] = emails_for(invited("nl"), "event-1")
    [again] = emails_for(invited("nl", resend=True), "event-2")
    assert (first.template, again.template) == ("invitation", "reinvitation")
    assert (first.recipient.person_id, first.locale, first.account_id) == ("u-1", "nl", ACCOUNT)
    assert first.facts["inviter_name"] == "Ada <Admin>" and first.email_id != again.email_id
    assert first.facts["register_url"] == "http://identity/register?email=uma%40example.com&x=1"


def test_R33_R4_an_unregistered_contact_is_invited_and_a_linked_one_gets_nothing():
    [request] = emails_for(contact_added("fr"), "event-1")
    assert (request.template, request.recipient.person_id, request.subscription_id) == (
        "contact_invitation",
        "u-1",
        ACCOUNT,
    )
    assert (request.facts["company_name"], request.facts["inviter_name"]) == ("Acme <Tools>", "Ada <Admin>")
    assert emails_for(contact_added(linked=True), "event-2") == []


def test_R39_a_seat_user_made_a_contact_gets_no_second_invitation():
    """Seats invited them already; identity's contact_added only tells the company's directory."""
    seat_user = contact_added("fr").model_copy(update={"seat_user": True, "register_url": None})
    assert emails_for(seat_user, "event-3") == []


@pytest.mark.parametrize("locale", LOCALES)
def test_R33_R10_a_removed_user_is_told_their_access_ended_and_what_they_fall_back_to(locale):
    [to_trial] = emails_for(unassigned(locale, fallback="trial"), "event-1")
    [to_standard] = emails_for(unassigned(locale, fallback="standard"), "event-2")
    assert (to_trial.template, to_trial.recipient.person_id, to_trial.facts["removed_on"]) == (
        "access_removed",
        "u-1",
        "2026-01-05",
    )
    trial, standard = (render("access_removed", locale, r.facts).text for r in (to_trial, to_standard))
    assert trial != standard and "Standard" in standard and "Standard" not in trial


def test_R33_R3_a_lapsed_verification_tells_the_administrator():
    [request] = emails_for(verification_lapsed("nl"), "event-1")
    assert (request.template, request.recipient.person_id, request.subscription_id) == (
        "account_verification_lapsed",
        "p-1",
        ACCOUNT,
    )
    assert (request.facts["registered_on"], request.facts["lapsed_on"]) == ("2026-01-05", "2026-03-06")


@pytest.mark.parametrize("locale", LOCALES)
def test_R1_an_attempt_to_register_a_taken_address_tells_its_owner_what_to_do_without_a_link(locale):
    """Registration answers alike for a new and a taken address (issue 11, item 8): the owner
    of a taken one is told by e-mail instead; a link would lead nowhere (no portal yet)."""
    [request] = emails_for(registration_attempted(locale), "event-1")
    assert (request.template, request.recipient.person_id, request.locale) == ("registration_attempted", "u-1", locale)
    assert (request.subscription_id, request.account_id) == ("u-1", "")  # the person's own e-mail
    email = render(request.template, locale, request.facts)
    assert "2026-01-05 09:30 UTC" in email.text and "2026-01-05 09:30 UTC" in email.html
    assert "Uma <User>" in email.text and "Uma &lt;User&gt;" in email.html
    assert "http" not in email.text + email.html and "href" not in email.html


# R33, item by item, and the e-mails that carry it.
R33_EMAILS = {
    "agreement to accept": {"agreement"},
    "activation confirmation": {"activated"},
    "amendment to accept": {"amendment"},
    "invitation and re-invitation": {"invitation", "reinvitation", "contact_invitation"},
    "administrator transfer": {"administrator_transferred"},
    "removal of access": {"access_removed"},
    "cancellation confirmation": {"cancellation_confirmed"},
    "end of term / deprovisioning": {"deprovisioned"},
    "invoice issued": {"invoice_issued"},
    "e-mail verification": {"verification"},
    "approval request": {"approval_request"},
}


def test_R33_every_email_the_rule_lists_is_sent_by_some_event():
    sent = {request.template for request in _every_request("en")}
    assert {item: templates - sent for item, templates in R33_EMAILS.items()} == {item: set() for item in R33_EMAILS}


@pytest.mark.parametrize("locale", LOCALES)
def test_R34_a_contact_invitation_without_a_registration_link_still_reads(locale):
    request = emails_for(contact_added(locale).model_copy(update={"register_url": None}), "e")[0]
    email = render("contact_invitation", locale, request.facts)
    assert "Acme <Tools>" in email.text and "Acme &lt;Tools&gt;" in email.html and "href" not in email.html


@pytest.mark.parametrize("locale", LOCALES)
def test_R34_links_reach_both_parts_of_the_new_emails(locale):
    for event, link in (
        (verification(locale), "verify?token=s3cr3t"),
        (invited(locale), "register?email="),
        (contact_added(locale), "register?x=1"),
    ):
        [request] = emails_for(event, "e")
        email = render(request.template, locale, request.facts)
        assert link in email.text and link in email.html and "&amp;" in email.html


def test_R34_a_temporary_failure_is_retried_ever_later_but_at_least_every_five_minutes():
    waits = [next_attempt_at(AT, n) - AT for n in range(1, 14)]
    assert waits[:4] == [timedelta(seconds=s) for s in (0.4, 0.8, 1.6, 3.2)]
    assert waits == sorted(waits) and waits[-1] == timedelta(minutes=5)


def test_R32_money_is_shown_with_two_decimals_and_the_currency():
    assert [money(Money(amount_minor=m, currency="EUR")) for m in (0, 5, -5, 123456, -73600)] == [
        "0.00 EUR",
        "0.05 EUR",
        "-0.05 EUR",
        "1234.56 EUR",
        "-736.00 EUR",
    ]


def test_R34_the_same_event_always_yields_the_same_email_id():
    assert emails_for(purchased("en"), "event-1")[0].email_id == email_id("event-1", "agreement", "p-1")
    assert email_id("event-1", "agreement", "p-1") != email_id("event-2", "agreement", "p-1")


def _every_request(locale: str):
    return [request for event in every_event(locale) for request in emails_for(event, "event-1")]


def test_R34_every_template_is_produced_by_some_event():
    english = files("notifications.adapters").joinpath("templates/en")
    templates = {path.name.removesuffix(".j2") for path in english.iterdir()}
    assert {request.template for request in _every_request("en")} == templates


@pytest.mark.parametrize("locale", LOCALES)
@pytest.mark.parametrize("request_", _every_request("en"), ids=lambda r: r.template)
def test_R34_every_email_renders_in_every_language_with_text_and_html(request_, locale):
    email = render(request_.template, locale, request_.facts)
    names = [v for k, v in request_.facts.items() if k.endswith("name") and v]
    assert email.subject and "\n" not in email.subject and "{" not in email.text + email.html
    for name in names:
        assert name in email.text and name.replace("<", "&lt;").replace(">", "&gt;") in email.html
    assert "<html>" in email.html and "<script" not in email.html


@pytest.mark.parametrize("locale", LOCALES)
def test_R34_money_and_links_reach_both_parts(locale):
    email = render("invoice_issued", locale, emails_for(invoice(locale), "e")[0].facts)
    for part in (email.text, email.html):
        assert "368.00 EUR" in part and "-736.00 EUR" in part and "http://billing/invoices/inv-1" in part
    assert "PO-&lt;7&gt;" in email.html
    email = render("amendment", locale, emails_for(amendment(locale), "e")[0].facts)
    assert "amendments/am-1?x=1&amp;y=2" in email.html and "amendments/am-1?x=1&y=2" in email.text


def test_R34_an_invoice_without_a_po_number_says_so():
    email = render("invoice_issued", "en", emails_for(invoice(po_number=None), "e")[0].facts)
    assert "Purchase order: none" in email.text


def test_R34_unknown_language_falls_back_to_english():
    assert emails_for(purchased("pt-BR"), "e")[0].locale == "en"


@pytest.mark.parametrize("locale", LOCALES)
def test_R28_R48_the_grace_of_a_cancelled_term_says_the_seats_were_revoked_and_come_back_on_renewal(locale):
    kept, cancelled = (
        render("grace_started", locale, emails_for(grace(locale, cancelled=c), "e")[0].facts).text
        for c in (False, True)
    )
    assert kept != cancelled
    assert "2026-01-15" in cancelled  # still renewable until the grace ends (R48)
