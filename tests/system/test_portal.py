"""The portal in the running stack (issue 13): a person signs up, verifies and signs in through
its pages, as a browser would (forms with their CSRF token and Idempotency-Key, redirects
followed, the session cookie kept), and sees the subscription bought for them through the API
in the overview and on its agreement page, accepted there until it is active.

The verification e-mail links to the portal's landing page (`PORTAL_URL`), opened as mailed.
The same journeys in a real browser, with many more pages, are in `tests/browser`; this one
runs on both database backends.
"""

from __future__ import annotations

import html
import re
import uuid
from urllib.parse import urlsplit

import httpx

from devkit.client import eventually
from devkit.devstack import PORTAL
from devkit.mailbox import ReceivedMail, read_mailbox

PASSWORD = "Correct-Horse-9"
TEXT_LINK = re.compile(r"https?://[^\s<>\"']+")


def hidden_fields(page: httpx.Response, action: str) -> dict[str, str]:
    """The hidden fields of the page's form posting to `action` (its CSRF token, its
    Idempotency-Key, ...), as a browser sends them with what the person typed."""
    form = re.search(rf'<form method="post" action="{re.escape(action)}"[^>]*>(.*?)</form>', page.text, re.S)
    assert form, f"{page.request.url} has no form posting to {action}: {page.text[:500]}"
    fields = re.findall(r'<input type="hidden" name="(\w+)" value="([^"]*)"', form[1])
    return {name: html.unescape(value) for name, value in fields}


def listed(browser: httpx.Client, subscription_id: str) -> httpx.Response | None:
    """The overview, once it lists the subscription with the link to its agreement."""
    page = browser.get("/subscriptions")
    return (
        page if page.status_code == 200 and f'href="/subscriptions/{subscription_id}/agreement"' in page.text else None
    )


def verification_mail(stack, email: str) -> ReceivedMail | None:
    return next(
        (m for m in read_mailbox(stack.config.mail_dir) if m.to == email and m.template == "verification"), None
    )


def activation(page: httpx.Response) -> str:
    """The agreement page's activation box: `waiting` (activating) or `done` (active)."""
    found = re.search(r'<div id="activation" class="(\w+)"', page.text)
    return found[1] if found else ""


def test_R1_R6_R7_R8_sign_up_verify_sign_in_and_accept_an_agreement_through_the_portal(stack, api):
    email = f"pia-{uuid.uuid4().hex[:10]}@example.com"
    with httpx.Client(
        base_url=stack.config.url(PORTAL), headers={"Accept-Language": "en"}, follow_redirects=True, timeout=10
    ) as browser:
        # sign up: the form, then posted with its CSRF token and Idempotency-Key
        form = browser.get("/sign-up")
        assert form.status_code == 200 and "portal_session" in browser.cookies
        fields = hidden_fields(form, "/sign-up")
        assert set(fields) == {"csrf_token", "idempotency_key"}
        signed_up = browser.post(
            "/sign-up",
            data={
                **fields,
                "company_name": "Portal & Co",
                "name": "Pia Portal",
                "email": email,
                "password": PASSWORD,
                "accept_terms": "yes",
            },
        )
        assert signed_up.status_code == 200 and email in signed_up.text, signed_up.text[:500]

        # verify: the e-mailed link's path and query, on the portal
        mail = eventually(lambda: verification_mail(stack, email), timeout=30, what="verification e-mail")
        [link] = set(TEXT_LINK.findall(mail.text))
        sent_to = urlsplit(link)
        assert sent_to.netloc == urlsplit(stack.config.url(PORTAL)).netloc  # e-mails link to the portal
        assert sent_to.path == "/verifications" and sent_to.query.startswith("token=")
        opened = browser.get(f"{sent_to.path}?{sent_to.query}")  # asks for one click, verifies nothing yet
        assert opened.status_code == 200 and 'class="done"' not in opened.text, opened.text[:500]
        verified = browser.post("/verifications", data=hidden_fields(opened, "/verifications"))
        assert verified.status_code == 200 and 'class="done"' in verified.text, verified.text[:500]

        # sign in: the overview answers, with nothing in it yet
        form = browser.get("/sign-in")
        overview = browser.post(
            "/sign-in", data={**hidden_fields(form, "/sign-in"), "email": email, "password": PASSWORD}
        )
        # administering nothing yet, they land on their software (R40), not an empty overview
        assert overview.status_code == 200 and overview.url.path == "/software", overview.text[:500]

        # a purchase through the subscriptions API, as the same person
        sid = api.sign_in(email, PASSWORD).purchase(quantity=2, tier="premium")["id"]
        overview = eventually(lambda: listed(browser, sid), what="the subscription in the portal's overview")
        assert sid in overview.text

        # the agreement: accepted with the form's key (sent twice: one acceptance), then activating, then active
        page = browser.get(f"/subscriptions/{sid}/agreement")
        assert page.status_code == 200 and activation(page) == "", page.text[:500]
        accept = hidden_fields(page, f"/subscriptions/{sid}/agreement")
        assert set(accept) == {"csrf_token", "idempotency_key"}
        accepted = browser.post(f"/subscriptions/{sid}/agreement", data=accept)
        assert accepted.status_code == 200 and accepted.url.path == f"/subscriptions/{sid}/agreement"
        assert activation(accepted) in ("waiting", "done"), accepted.text[:500]
        again = browser.post(f"/subscriptions/{sid}/agreement", data=accept)
        assert again.status_code == 200 and activation(again) in ("waiting", "done"), again.text[:500]

        eventually(
            lambda: activation(browser.get(f"/subscriptions/{sid}/agreement")) == "done", what="the seats unlocked"
        )
        polled = browser.get(f"/subscriptions/{sid}/activation", headers={"HX-Request": "true"})
        assert polled.status_code == 200 and activation(polled) == "done"  # what htmx swaps in
        assert "Accept the agreement" not in browser.get("/subscriptions").text
