"""E-mail delivery over the real stack (R33, R34): the delivery log of a purchase, the
verification e-mail of a registration, and an address the SMTP server refuses for good.

The stack is shared with the other system tests. The rejection test points notifications at a
second SMTP sink (same mail directory) that refuses one address with 550, as
`devkit.smtpsink --reject` does, and puts it back on the stack's sink afterwards.
"""

from __future__ import annotations

import re
import subprocess
import sys
import uuid

import pytest

from devkit.client import EntitleClient, eventually
from devkit.devstack import free_port, wait_for_port
from devkit.mailbox import read_mailbox
from opskit.topicreader import events_of

PASSWORD = "Correct-Horse-9"


def an_email(who: str) -> str:
    return f"{who}-{uuid.uuid4().hex[:10]}@example.com"


def settled(customer: EntitleClient, path: str, template: str) -> dict | None:
    """The log entry of that template once it is no longer pending."""
    entries = [e for e in customer.call("notifications", "GET", path) if e["template"] == template]
    return entries[0] if entries and entries[0]["status"] != "pending" else None


def test_R33_R34_the_delivery_log_shows_the_agreement_email_of_a_purchase(stack, customer):
    answer = customer.purchase(quantity=2)
    caused_by = answer["event_ids"][0]

    entry = eventually(
        lambda: settled(customer, f"/deliveries?caused_by={caused_by}", "agreement"),
        what="agreement e-mail in the delivery log",
    )
    assert (entry["status"], entry["attempts"], entry["last_error"], entry["locale"]) == ("sent", 1, None, "en")
    assert (entry["subscription_id"], entry["caused_by"]) == (answer["id"], caused_by) and entry["sent_at"]
    assert entry in customer.call("notifications", "GET", "/deliveries")  # also among the caller's own
    [mail] = [m for m in read_mailbox(stack.config.mail_dir) if m.caused_by == caused_by]
    assert mail.message_id == f"<{entry['email_id']}@entitle>"


def test_R33_R1_registration_sends_the_verification_email_whose_link_verifies(stack, api):
    email = an_email("vera")
    api.call(
        "identity",
        "POST",
        "/accounts",
        {
            "company_name": "Verity",
            "email": email,
            "password": PASSWORD,
            "name": "Vera Verdi",
            "locale": "nl",
            "accept_terms": True,
        },
    )
    [mail] = eventually(
        lambda: [m for m in read_mailbox(stack.config.mail_dir) if m.to == email], what="verification e-mail"
    )
    assert (mail.template, mail.language) == ("verification", "nl") and mail.html
    link = re.search(r"https?://\S+", mail.text).group(0)
    assert link.startswith(stack.config.url("portal") + "/verifications?token=")  # the portal's page
    assert api.open_verification_link(link)["email_verified"] is True

    vera = api.sign_in(email, PASSWORD)
    [entry] = eventually(
        lambda: [
            e
            for e in vera.call("notifications", "GET", "/deliveries")
            if e["template"] == "verification" and e["status"] == "sent"
        ],
        what="verification e-mail in the log",
    )
    assert link not in str(entry)


@pytest.fixture(scope="module")
def refused_address(stack):
    """notifications sends through a sink that refuses this address with 550, until the end."""
    address, port = an_email("bounce"), free_port()
    with open(stack.config.var_dir / "logs" / "smtp-refusing.log", "ab") as log:
        sink = subprocess.Popen(
            [
                sys.executable,
                "-m",
                "devkit.smtpsink",
                "--dir",
                str(stack.config.mail_dir),
                "--port",
                str(port),
                "--reject",
                address,
            ],
            stdout=log,
            stderr=subprocess.STDOUT,
        )
    try:
        wait_for_port("127.0.0.1", port)
        stack.terminate("notifications")
        stack.start_service("notifications", SMTP_PORT=str(port))
        yield address
    finally:
        stack.terminate("notifications")
        stack.start_service("notifications")
        sink.terminate()
        sink.wait(10)


def test_R34_an_address_the_server_refuses_is_recorded_as_rejected_and_reported(stack, api, refused_address):
    api.register("Bounce Ltd", refused_address, "Bo Bounce")
    api.verify_email(refused_address)
    bo = api.sign_in(refused_address)
    answer = bo.purchase(quantity=1)

    entry = eventually(
        lambda: settled(bo, f"/deliveries?caused_by={answer['event_ids'][0]}", "agreement"),
        what="rejected agreement e-mail in the delivery log",
    )
    assert (entry["status"], entry["attempts"], entry["sent_at"]) == ("rejected", 1, None)
    assert entry["last_error"].startswith("550") and entry["rejected_at"]
    assert not [m for m in read_mailbox(stack.config.mail_dir) if m.to == refused_address]
    [rejected] = eventually(
        lambda: [
            e
            for e in events_of(stack.config.bootstrap, "notifications.events.v1", answer["id"])
            if e["type"] == "notifications.email_rejected"
        ],
        what="email_rejected",
    )
    assert rejected["data"]["email_id"] == entry["email_id"] and refused_address not in str(rejected)


def test_R33_R4_an_unregistered_contact_is_invited_and_the_administrator_reads_that_delivery(stack, customer):
    account_id = customer.call("identity", "GET", "/me/accounts")[0]["account_id"]
    email = an_email("cleo")
    added = customer.call(
        "identity",
        "POST",
        f"/accounts/{account_id}/contacts",
        {"email": email, "first_name": "Cléo", "last_name": "Contact", "locale": "fr"},
    )

    [mail] = eventually(
        lambda: [m for m in read_mailbox(stack.config.mail_dir) if m.to == email], what="contact invitation e-mail"
    )
    assert (mail.template, mail.language, mail.subscription_id) == ("contact_invitation", "fr", account_id)
    entry = eventually(
        lambda: settled(customer, f"/deliveries?caused_by={added['event_ids'][0]}", "contact_invitation"),
        what="invitation in the administrator's log",
    )
    assert (entry["status"], entry["locale"]) == ("sent", "fr")
