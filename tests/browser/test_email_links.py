"""Every link in every e-mail opens a portal page that works for the person it was sent to
(issue 13; issue 11 item 10 before it).

One customer lives the flows that send e-mails with links (registration, purchase, activation
and its invoice, users invited and invited again, a contact added, an amendment, a password
reset, a second registration of a taken address). Every `http(s)://` link in the HTML or the
text of those e-mails is opened in the browser of the person it went to: the administrator's
signed in to the portal, the invited user's and the contact's not (they have no account yet).
Each must be on the portal, answer 200 (the not-found page is a 404), and show its page — for
the administrator, not the sign-in form. The licence e-mail (R41) is the one exception: its
links are the product's own (start or download), the catalogue's https URLs."""

from __future__ import annotations

import html
import re
from urllib.parse import urlsplit

from contracts.testing import catalogue_software
from devkit.client import eventually
from devkit.devstack import PORTAL
from devkit.mailbox import ReceivedMail, read_mailbox
from devkit.preview import sample_requests
from notifications.adapters.rendering import render
from notifications.domain.emails import LOCALES

from .conftest import ON_SQLITE_STACK, TEXT_LINK, an_email, look, sign_in

pytestmark = ON_SQLITE_STACK

HTML_LINK = re.compile(r"""href=["']([^"']+)["']""")


# Dunning e-mails link to the invoice's page, as `invoice_issued` does (followed here): the
# system test that lives an unpaid invoice's two months checks they carry that link
# (tests/system/test_dunning.py), so this one need not move the shared clock as far.
DUNNING = {"payment_reminder", "subscriptions_suspended"}


def templates_with_links() -> set[str]:
    """Every e-mail whose sample carries a link, in any language: each must be tried here."""
    return {
        template
        for locale in LOCALES
        for template, request in sample_requests(locale).items()
        if "http" in render(template, locale, request.facts).text
    }


def links_in(mail: ReceivedMail) -> set[str]:
    in_text = set(TEXT_LINK.findall(mail.text))
    in_html = {html.unescape(link) for link in HTML_LINK.findall(mail.html)}
    assert in_text == in_html, f"{mail.template} to {mail.to}: text and HTML parts link differently"
    return in_text


def mails_to(stack, *addresses: str) -> list[ReceivedMail]:
    return [m for m in read_mailbox(stack.config.mail_dir) if m.to in addresses]


def opens_its_page(page, link: str, mail: ReceivedMail, signed_in: bool) -> None:
    what = f"{mail.template} e-mail to {mail.to}: {link}"
    answer = page.goto(link)
    # the not-found page answers 404, a refusal 4xx: 200 is the page itself
    assert answer is not None and answer.status == 200, f"{what} answered {answer and answer.status}"
    assert urlsplit(page.url).netloc == urlsplit(link).netloc, f"{what} left the portal for {page.url}"
    assert page.locator("h1").count() == 1, what
    if signed_in:
        assert urlsplit(page.url).path != "/sign-in", f"{what} asked a signed-in person to sign in"
    if "/people/registration" in link:  # the invitation's form is for the address it went to
        assert page.locator("#email").input_value() == mail.to, what


def test_R33_every_link_in_every_email_opens_a_portal_page_that_works_for_its_reader(stack, api, open_browser):
    admin_email, user_email, contact_email = an_email("dora"), an_email("uli"), an_email("cleo")
    portal = urlsplit(stack.config.url(PORTAL)).netloc

    # registration: the verification link is the way in, so it is opened first, as sent
    api.register("Links & Co", admin_email, "Dora Admin", locale="de")
    [verification] = eventually(lambda: mails_to(stack, admin_email), what="verification e-mail")
    [verify_link] = links_in(verification)
    assert urlsplit(verify_link).netloc == portal
    dora = open_browser("de")
    opens_its_page(dora, verify_link, verification, signed_in=False)
    dora.locator("form[action='/verifications'] button[type=submit]").click()  # one click verifies
    dora.locator("p.done[role=status]").wait_for()
    admin = api.sign_in(admin_email)

    sid = admin.purchase(quantity=2, tier="premium")["id"]
    eventually(lambda: [m for m in mails_to(stack, admin_email) if m.template == "agreement"], what="agreement")
    admin.accept(sid)
    eventually(lambda: admin.seats(sid)["status"] == "unlocked", what="seats unlocked")
    admin.call(
        "seats",
        "POST",
        f"/subscriptions/{sid}/users",
        {
            "users": [{"email": user_email, "first_name": "Uli", "last_name": "User", "locale": "fr"}],
            "assign_seats": True,
        },
    )
    eventually(lambda: [m for m in mails_to(stack, user_email) if m.template == "invitation"], what="invitation")
    admin.call("seats", "POST", f"/subscriptions/{sid}/users/invitations/resend", {"all": True})
    account_id = admin.call("identity", "GET", "/me/accounts")[0]["account_id"]
    admin.call(
        "identity",
        "POST",
        f"/accounts/{account_id}/contacts",
        {"email": contact_email, "first_name": "Cléo", "last_name": "Contact", "locale": "nl"},
    )
    admin.propose_amendment(sid, "premium_plus")
    api.call("identity", "POST", "/password-resets", {"email": admin_email})
    api.register("Links Again", admin_email, "Dora Again", locale="de")  # a taken address

    expected = {
        "verification",
        "agreement",
        "activated",
        "invoice_issued",
        "invitation",
        "reinvitation",
        "contact_invitation",
        "amendment",
        "password_reset",
        "registration_attempted",
        "licence",
    }
    assert templates_with_links() <= expected | DUNNING, "an e-mail with links is missing from this test"

    def all_arrived() -> list[ReceivedMail]:
        found = mails_to(stack, admin_email, user_email, contact_email)
        return found if expected <= {m.template for m in found} else []

    mails = eventually(all_arrived, timeout=30, what=f"e-mails {sorted(expected)}")

    sign_in(dora, admin_email)
    browsers = {admin_email: dora, user_email: open_browser("fr"), contact_email: open_browser("nl")}
    followed = {verification.template}
    for mail in mails:
        if mail.template == "verification":
            continue  # opened above: a single-use link
        if mail.template == "licence":  # R41: the product's own links, from the catalogue
            software = catalogue_software("designer", "premium")
            assert links_in(mail) <= {software.start_url, software.download_url}, mail.text
            assert all(link.startswith("https://") for link in links_in(mail))
            followed.add(mail.template)
            continue
        for link in links_in(mail):
            assert urlsplit(link).netloc == portal, f"{mail.template} links outside the portal: {link}"
            page = browsers[mail.to]
            opens_its_page(page, link, mail, signed_in=mail.to == admin_email)
            if mail.template in ("amendment", "invoice_issued", "password_reset"):
                look(page, f"from-email-{mail.template.replace('_', '-')}")
            followed.add(mail.template)
    assert followed == templates_with_links() - DUNNING
    assert not links_in(next(m for m in mails if m.template == "registration_attempted"))
