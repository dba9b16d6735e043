"""Dunning over the real stack (issue 15, item 6): an annual invoice left unpaid is reminded
by e-mail, then access to the term it charged is suspended, and paying it gives access back
at once, with the same seats.

The stack and its clock are shared with the other system tests: every check is scoped to
this test's own customer, and the clock moves on by the invoice's payment terms and a month.
"""

from __future__ import annotations

import uuid
from datetime import date, datetime
from urllib.parse import urlsplit

from devkit.client import eventually
from devkit.devstack import PORTAL
from devkit.mailbox import read_mailbox

DUNNING = ("payment_reminder", "subscriptions_suspended", "subscriptions_reinstated")


def dunning_mails(stack, email: str) -> list:
    return [m for m in read_mailbox(stack.config.mail_dir) if m.to == email and m.template in DUNNING]


def test_issue15_an_unpaid_invoice_is_reminded_then_suspends_access_and_paying_it_gives_access_back(
    stack, api, customer
):
    admin_email = customer.credentials[0]
    user_email = f"dunned-{uuid.uuid4().hex[:10]}@example.com"
    sid = customer.purchase(quantity=2)["id"]
    customer.accept(sid)
    eventually(lambda: customer.seats(sid)["status"] == "unlocked", what="seats unlocked")
    customer.assign(sid, user_email)

    def access() -> dict:
        return customer.call("seats", "GET", f"/access?product=designer&email={user_email}")

    assert access()["allowed"] is True
    [summary] = eventually(customer.invoices, what="the activation's invoice")
    invoice = customer.invoice(summary["invoice_id"])
    assert invoice["state"] == "open"
    due_on = date.fromisoformat(invoice["due_on"])
    now = datetime.fromisoformat(api.call("subscriptions", "GET", "/ops/clock")["now"])

    # Past the due date and the suspension day (30 days after it, the default), well inside
    # the annual term the invoice charged.
    api.advance_clock(days=(due_on - now.date()).days + 31)
    api.settle()
    answer = eventually(lambda: None if (seen := access())["allowed"] else seen, what="access suspended")
    assert (answer["reason"], answer["subscription_id"]) == ("payment_overdue", sid)
    assert customer.seats(sid)["payment_overdue"]["number"] == summary["number"]
    assert customer.invoice(summary["invoice_id"])["state"] == "overdue"

    mails = eventually(
        lambda: found if len(found := dunning_mails(stack, admin_email)) >= 4 else None,
        what="three reminders and the suspension",
    )
    assert sorted(m.template for m in mails) == ["payment_reminder"] * 3 + ["subscriptions_suspended"]
    for mail in mails:
        assert summary["number"] in mail.text, mail.template
    # Their link is the invoice's page in the portal, the one the invoice e-mail opens (the
    # browser test of every e-mail link follows that one).
    portal = urlsplit(stack.config.url(PORTAL)).netloc
    for mail in mails:
        links = [w for w in mail.text.split() if w.startswith("http")]
        assert links and all(urlsplit(link).netloc == portal for link in links), mail.text
        assert any(summary["invoice_id"] in link for link in links), mail.text

    paid = api.call(
        "billing",
        "POST",
        f"/ops/invoices/{summary['invoice_id']}/payments",
        {"amount_minor": invoice["total"]["amount_minor"], "currency": "EUR", "received_on": str(due_on)},
        idempotency_key=f"dunning-{sid}",
    )
    assert paid["state"] == "paid"
    back = eventually(lambda: seen if (seen := access())["allowed"] else None, what="access given back")
    assert back["subscription_id"] == sid  # the same seat, not a new one
    assert customer.seats(sid)["payment_overdue"] is None
    eventually(
        lambda: [m for m in dunning_mails(stack, admin_email) if m.template == "subscriptions_reinstated"],
        what="the reinstatement e-mail",
    )
