"""Every link in every e-mail leads somewhere its reader can use (issue 11, item 10).

The seat invitation once linked to `/register?email=`, which no service serves. Here one
customer lives the flows that send e-mails with links (registration, purchase, activation and
its invoice, users invited and invited again, a contact added, an amendment, a second
registration of a taken address), and every `http(s)://` link found in the HTML or the text of
any of those e-mails is followed as the person it was sent to would: first as they are, then,
when the route wants a sign-in (401), with their own token. Each must answer 200 with
something to act on, on one of the stack's own services. Until a portal exists, links point at
the API route that serves what they promise.
"""

from __future__ import annotations

import html
import re
import uuid
from urllib.parse import urlsplit

import httpx

from devkit.client import eventually
from devkit.devstack import SERVICES
from devkit.mailbox import ReceivedMail, read_mailbox
from devkit.preview import sample_requests
from notifications.adapters.rendering import render
from notifications.domain.emails import LOCALES

TEXT_LINK = re.compile(r"https?://[^\s<>\"']+")
HTML_LINK = re.compile(r"""href=["']([^"']+)["']""")


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


def an_email(who: str) -> str:
    return f"{who}-{uuid.uuid4().hex[:10]}@example.com"


def mails_to(stack, *addresses: str) -> list[ReceivedMail]:
    return [m for m in read_mailbox(stack.config.mail_dir) if m.to in addresses]


def follow(link: str, token: str | None) -> httpx.Response:
    """As a person clicks: as they are, then signed in if the page asks for it."""
    answer = httpx.get(link, timeout=10, follow_redirects=True)
    if answer.status_code == 401 and token:
        answer = httpx.get(link, headers={"Authorization": f"Bearer {token}"}, timeout=10, follow_redirects=True)
    return answer


def assert_usable(answer: httpx.Response, mail: ReceivedMail) -> None:
    what = f"{mail.template} e-mail to {mail.to}: {answer.request.url} answered {answer.status_code}"
    assert answer.status_code == 200, f"{what} {answer.text[:300]}"
    if answer.headers["content-type"].startswith("application/json"):
        body = answer.json()
        assert body and isinstance(body, dict), what
        if "register_with" in body:  # how to register: for the address the e-mail went to
            assert body["email"] == mail.to, what
    else:
        assert answer.headers["content-type"].startswith("text/html") and "<html" in answer.text.lower(), what


def test_item10_every_link_in_every_email_answers_its_reader_with_something_to_use(stack, api):
    admin_email, user_email, contact_email = an_email("dora"), an_email("uli"), an_email("cleo")
    own_services = {urlsplit(stack.config.url(s)).netloc for s in SERVICES}

    # registration: the verification link is the way in, so it is followed first, as sent
    api.register("Links & Co", admin_email, "Dora Admin", locale="de")
    [verification] = eventually(lambda: mails_to(stack, admin_email), what="verification e-mail")
    [verify_link] = links_in(verification)
    answer = follow(verify_link, None)
    assert_usable(answer, verification)
    assert answer.json()["email_verified"] is True
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
        "registration_attempted",
    }
    assert templates_with_links() <= expected, "an e-mail with links is missing from this test"

    def all_arrived() -> list[ReceivedMail]:
        found = mails_to(stack, admin_email, user_email, contact_email)
        return found if expected <= {m.template for m in found} else []

    mails = eventually(all_arrived, timeout=30, what=f"e-mails {sorted(expected)}")

    token_of = {admin_email: admin.token}  # the invited user and contact have no account yet
    followed = {verification.template}
    for mail in mails:
        if mail.template == "verification":
            continue  # followed above: a single-use link
        for link in links_in(mail):
            assert urlsplit(link).netloc in own_services, f"{mail.template} links outside the stack: {link}"
            assert_usable(follow(link, token_of.get(mail.to)), mail)
            followed.add(mail.template)
    assert followed == templates_with_links()
    assert not links_in(next(m for m in mails if m.template == "registration_attempted"))
