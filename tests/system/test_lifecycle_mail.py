"""Lifecycle e-mails and seat effects over the real stack: administrator transfer (R17, R33),
operator termination (R28), a trial and its conversion (R10), an issued invoice and an
amendment to accept (R33).

The stack and its clock are shared with the other system tests: nothing here moves the clock,
and every check looks only at its own subscription or account.
"""

from __future__ import annotations

import io
import uuid
from email import policy
from email.parser import BytesParser

import jwt
import pytest
from facturx import get_facturx_xml_from_pdf

from devkit.client import EntitleClient, EntitleError, eventually
from devkit.mailbox import read_mailbox


def mails_for(stack, subject: str, template: str):
    """E-mails of one template about one subscription (or, for invoices, one account)."""
    return [m for m in read_mailbox(stack.config.mail_dir) if m.template == template and m.subscription_id == subject]


def claims_of(client: EntitleClient) -> dict:
    return jwt.decode(client.token, options={"verify_signature": False})


def active_subscription(customer: EntitleClient, quantity: int, **plan) -> str:
    sid = customer.purchase(quantity=quantity, **plan)["id"]
    customer.accept(sid)
    eventually(lambda: customer.seats(sid)["status"] == "unlocked", what="unlocked pool")
    return sid


def seats_refused(client: EntitleClient, subscription_id: str) -> bool:
    try:
        client.seats(subscription_id)
    except EntitleError as error:
        return error.status == 404
    return False


def test_R33_R17_an_administrator_transfer_emails_the_new_administrator_and_locks_out_the_previous(
    stack, api, customer
):
    sid = active_subscription(customer, quantity=2)
    newcomer = {
        "email": f"nia-{uuid.uuid4().hex[:8]}@example.com",
        "password": "Correct-Horse-9",
        "name": "Nia Nouvelle",
        "locale": "fr",
        "accept_terms": True,
    }
    # R17, R38: the new administrator is a registered contact of the company, named by e-mail
    api.call("identity", "POST", "/people", newcomer)
    api.verify_email(newcomer["email"])
    account_id = claims_of(customer)["acct"]
    customer.call(
        "identity",
        "POST",
        f"/accounts/{account_id}/contacts",
        {"email": newcomer["email"], "first_name": "Nia", "last_name": "Nouvelle", "locale": "fr"},
    )
    eventually(
        lambda: customer.call(
            "subscriptions", "POST", f"/subscriptions/{sid}/administrator", {"email": newcomer["email"]}
        ),
        what="transfer to the new contact",
    )

    [mail] = eventually(lambda: mails_for(stack, sid, "administrator_transferred"), what="transfer e-mail")
    assert (mail.to, mail.language) == (newcomer["email"], "fr")
    assert "Nia Nouvelle" in mail.text and sid in mail.text and mail.html
    [notice] = eventually(lambda: mails_for(stack, sid, "administrator_replaced"), what="notice e-mail")
    assert notice.to == claims_of(customer)["email"]

    # R17: the previous administrator lost the seats at once, on every seats route.
    eventually(lambda: seats_refused(customer, sid), what="previous administrator refused by seats")
    for attempt in (lambda: customer.assign(sid, "late@example.com"), lambda: customer.change_quantity(sid, 3)):
        with pytest.raises(EntitleError) as refused:
            attempt()
        assert refused.value.status == 404
    assert len(mails_for(stack, sid, "administrator_transferred")) == 1  # once per transfer


def test_R28_an_operator_termination_revokes_the_seats_and_the_scheduled_decrease(stack, api, customer):
    sid = active_subscription(customer, quantity=2)
    customer.assign(sid, "alice@example.com")
    assert customer.change_quantity(sid, 1)["scheduled_quantity"] == 1

    terminated = api.call(
        "subscriptions", "POST", f"/ops/subscriptions/{sid}/termination", {"reason": "Contract breach"}
    )
    assert terminated["status"] == "ended"

    pool = eventually(lambda: (p := customer.seats(sid))["status"] == "deprovisioned" and p, what="deprovisioned pool")
    assert (pool["assignments"], pool["scheduled_quantity"]) == ([], None)
    [mail] = eventually(lambda: mails_for(stack, sid, "deprovisioned"), what="deprovisioning e-mail")
    assert mail.to == claims_of(customer)["email"]


def test_R10_a_trial_seat_is_usable_at_once_and_its_conversion_unlocks_the_paid_seats(stack, customer):
    sid = customer.call("subscriptions", "POST", "/subscriptions/trials", {})["id"]
    pool = eventually(lambda: (p := customer.seats(sid))["status"] == "unlocked" and p, what="trial pool")
    assert (pool["quantity"], pool["trial_ends_at"] is not None) == (1, True)
    customer.assign(sid, "trier@example.com")

    customer.call("subscriptions", "POST", f"/subscriptions/{sid}/conversion", {"quantity": 3})
    pool = eventually(lambda: (p := customer.seats(sid))["quantity"] == 3 and p, what="paid seats")
    assert (pool["status"], pool["trial_ends_at"], pool["assigned"]) == ("unlocked", None, 1)
    eventually(lambda: mails_for(stack, sid, "activated"), what="activation e-mail")
    assert mails_for(stack, sid, "agreement") == []  # the conversion was accepted at once


def test_R33_issue15_an_issued_invoice_is_emailed_to_the_administrator_with_its_pdf_number_total_and_po(
    stack, customer
):
    active_subscription(customer, quantity=2, po_number="PO-4711")
    account = claims_of(customer)["acct"]
    [invoice] = eventually(lambda: customer.call("billing", "GET", "/invoices"), what="invoice issued")
    [mail] = eventually(lambda: mails_for(stack, account, "invoice_issued"), what="invoice e-mail")
    total = invoice["total"]["amount_minor"]
    assert mail.to == claims_of(customer)["email"] and invoice["number"] in mail.subject
    for part in (mail.text, mail.html):
        assert f"{total // 100}.{total % 100:02d} EUR" in part and "PO-4711" in part
    # Issue 15, item 3: the e-mail carries the invoice's Factur-X PDF, printed by billing.
    message = BytesParser(policy=policy.default).parsebytes(mail.path.read_bytes())
    [attached] = list(message.iter_attachments())
    assert (attached.get_filename(), attached.get_content_type()) == (f"{invoice['number']}.pdf", "application/pdf")
    pdf = attached.get_content()
    assert pdf.startswith(b"%PDF-")
    _name, xml = get_facturx_xml_from_pdf(io.BytesIO(pdf), check_xsd=False)
    assert f"<ram:ID>{invoice['number']}</ram:ID>".encode() in xml


def test_R33_a_tier_change_emails_the_amendment_to_accept(stack, customer):
    sid = active_subscription(customer, quantity=2)
    customer.call("subscriptions", "POST", f"/subscriptions/{sid}/amendments", {"tier": "premium"})
    [mail] = eventually(lambda: mails_for(stack, sid, "amendment"), what="amendment e-mail")
    assert "premium" in mail.subject and "EUR" in mail.text and "<a href=" in mail.html
