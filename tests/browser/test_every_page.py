"""Every GET page of the portal in a real browser (issue 13): the pages the journeys
(`test_journeys.py`) and the e-mails' links (`test_email_links.py`) do not open are opened here,
each checked by axe-core and drawn (`conftest.look`), answering 200 with exactly one h1.

The data behind them is set up through the services' APIs (a purchase accepted, a floating
lease taken, a node-locked key activated, a trial started), as a browser journey would be slow.
The last test fails when a GET page route of the portal is opened by none of the three files
and is not in `NOT_PAGES` (the partials htmx polls, downloads, the static files)."""

from __future__ import annotations

import re
from urllib.parse import urlsplit

from starlette.routing import Route

from devkit.client import EntitleClient, eventually
from portal.app import build

from .conftest import ON_SQLITE_STACK, PASSWORD, link_in, look, mail_to, sign_in

# Routes the other browser files open (the journeys and the e-mails' links), by route path.
OPENED_ELSEWHERE = {
    "/": "test_journeys: signing in lands through it",
    "/sign-in": "test_journeys",
    "/sign-up": "test_journeys",
    "/verifications": "test_journeys, test_email_links: the verification e-mail's link",
    "/verifications/done": "test_journeys, test_email_links: after the link's one click",
    "/subscriptions": "test_journeys",
    "/subscriptions/{subscription_id}/agreement": "test_journeys: the agreement e-mail's link",
    "/subscriptions/{subscription_id}": "test_journeys",
    "/subscriptions/{subscription_id}/amendments/{amendment_id}": "test_journeys, test_email_links",
    "/subscriptions/{subscription_id}/cancellation": "test_journeys",
    "/subscriptions/{subscription_id}/administrator": "test_journeys",
    "/subscriptions/{subscription_id}/administrator/transferred": "test_journeys",
    "/subscriptions/{subscription_id}/users": "test_journeys",
    "/subscriptions/{subscription_id}/users/import": "test_journeys",
    "/subscriptions/{subscription_id}/users/import/{import_id}": "test_journeys",
    "/software": "test_journeys",
    "/people/registration": "test_journeys: the invitation e-mail's link",
    "/catalogue": "test_journeys",
    "/checkout": "test_journeys",
    "/checkout/{subscription_id}/confirmation": "test_journeys",
    "/company/billing-details": "test_billing_details: set, an invalid VAT number refused (issue 15)",
    "/company/direct-debit": "test_direct_debit: given, an invalid IBAN refused, shown masked, revoked (issue 15)",
}
# GET routes that are no page of their own.
NOT_PAGES = {
    "/subscriptions/{subscription_id}/activation": "partial polled by htmx on the agreement page",
    "/subscriptions/{subscription_id}/change-status": "partial polled by htmx on the subscription page",
    "/subscriptions/{subscription_id}/users/import/{import_id}/progress": "partial polled by htmx",
    "/subscriptions/{subscription_id}/users/import/template.{kind}": "download (CSV, XLSX)",
    "/invoices/{invoice_id}/download": "download (PDF, Factur-X)",
    "/invoices/{invoice_id}/e-invoice": "download (UBL XML); an invoice without one is its page with a message",
    "/subscriptions/{subscription_id}/agreements/{number}/download": "download (the accepted agreement)",
    "/company/documents/{document_id}/file": "download (an uploaded verification document)",
}
OPERATIONS = ("/health", "/ready", "/ops/", "/metrics", "/openapi.json", "/docs", "/redoc")

CODES = re.compile(r"\b(designer|printserver|premium_plus|named_user|node_locked)\b")

# Every page route opened by a test of this file (filled as they run; checked by the last one).
OPENED_HERE: set[str] = set()


def page_routes() -> dict[str, Route]:
    """The portal's GET routes that render for a browser (not the kit's operations routes)."""
    return {
        route.path: route
        for route in build().app.routes
        if isinstance(route, Route) and "GET" in (route.methods or ()) and not route.path.startswith(OPERATIONS)
    }


ROUTES = page_routes()


def visit(page, url: str, name: str, status: int = 200, services_words: bool = False) -> None:
    """Open `url` as typed; its route is recorded as opened, then the page is checked and drawn.
    A page names products, tiers and licence types as a customer reads them, never by code;
    `services_words`: it shows text another service wrote (an e-mail's subject, an invoice line)."""
    answer = page.goto(url)
    assert answer is not None and answer.status == status, f"{url} answered {answer and answer.status}"
    assert page.locator("h1").count() == 1, f"{url}: not exactly one h1"
    if not services_words:
        shown = page.locator("main").inner_text()
        assert not CODES.search(shown), f"{url} shows a code: {CODES.search(shown)}"
    look(page, name)
    path = urlsplit(url).path
    matched = [p for p, route in ROUTES.items() if route.path_regex.match(path)]
    OPENED_HERE.update(matched[:1])


def active_subscription(customer: EntitleClient, quantity: int, **plan) -> str:
    sid = customer.purchase(quantity=quantity, **plan)["id"]
    customer.accept(sid)
    eventually(lambda: customer.seats(sid)["status"] == "unlocked", timeout=30, what="the unlocked pool")
    return sid


def with_own_seat(customer: EntitleClient, sid: str, email: str) -> None:
    """The administrator takes a seat too: a lease or a key is taken by a person with one."""
    customer.call(
        "seats",
        "POST",
        f"/subscriptions/{sid}/users",
        {"users": [{"email": email, "first_name": "Ada", "last_name": "Admin"}], "assign_seats": True},
    )


@ON_SQLITE_STACK
def test_R2_R3_R10_R26_R27_R31_R33_R39_R44_issue15_every_other_page_of_an_administrator(
    stack, api, customer, open_browser
):
    [email, _] = customer.credentials or ("", "")
    # a trial first: R10 allows one per company and product
    trial = customer.call("subscriptions", "POST", "/subscriptions/trials", {"product": "designer"})["id"]
    sid = active_subscription(customer, quantity=3, tier="premium")
    floating = active_subscription(customer, quantity=2, licence_type="floating")
    with_own_seat(customer, floating, email)
    customer.call("seats", "POST", f"/subscriptions/{floating}/leases")
    locked = active_subscription(customer, quantity=1, licence_type="node_locked")
    with_own_seat(customer, locked, email)
    [key] = customer.call("seats", "GET", f"/subscriptions/{locked}/keys")["keys"]
    customer.call(
        "seats",
        "POST",
        f"/subscriptions/{locked}/keys/{key['key_id']}/activation",
        {"device_id": "ws-0042", "device_name": "Drawing office workstation"},
    )
    invoice = eventually(
        lambda: next((i for i in customer.invoices() if i["total"]["amount_minor"] > 0), None),
        timeout=30,
        what="the first invoice",
    )

    page = open_browser("en")
    sign_in(page, email)

    visit(page, "/catalogue", "catalogue-with-trial")
    page.get_by_text("Designer").first.wait_for()
    visit(page, f"/subscriptions/{trial}/conversion", "trial-conversion")
    visit(page, f"/subscriptions/{sid}/change", "change")
    visit(page, f"/subscriptions/{sid}/change?quantity=3&tier=premium_plus", "change-tier-preview")
    visit(page, "/licences", "licences")
    visit(page, "/invoices", "invoices")
    visit(page, f"/invoices/{invoice['invoice_id']}", "invoice", services_words=True)
    shown = page.locator("main").inner_text()
    assert "Total payable" in shown and "Due date" in shown and "Seller" in shown, shown  # issue 15
    assert invoice["payment_reference"][:4] in shown, shown  # the RF reference to quote
    for link, extension, magic in (
        (f"Download {invoice['number']} (PDF)", "pdf", b"%PDF-"),
        ("E-invoice (UBL XML)", "xml", b"<?xml"),
    ):
        with page.expect_download() as downloading:
            page.get_by_role("link", name=link).click()
        download = downloading.value
        assert download.suggested_filename == f"{invoice['number']}.{extension}"
        with open(download.path(), "rb") as saved:
            assert saved.read(5) == magic, link
    visit(page, f"/subscriptions/{sid}/invoices", "subscription-invoices")
    visit(page, f"/subscriptions/{floating}/floating", "floating-in-use")
    page.get_by_text(email).first.wait_for()
    visit(page, f"/subscriptions/{locked}/devices", "devices")
    page.get_by_text("Drawing office workstation").first.wait_for()
    visit(page, f"/subscriptions/{locked}/devices/{key['key_id']}/deactivation", "device-deactivation")
    visit(page, "/company", "company")
    visit(page, "/company/emails", "company-emails", services_words=True)
    visit(page, "/company/switch", "company-switch")
    visit(page, "/company/documents", "company-documents")  # R3, R44
    visit(page, "/profile", "profile")
    visit(page, "/subscriptions/00000000-0000-4000-8000-000000000000", "not-found", status=404)
    answer = page.goto("/no-such-page")  # the same page for an address the portal does not have
    assert answer is not None and answer.status == 404 and page.locator("h1").count() == 1

    # the overview too (the journeys draw it): the catalogue's names, not the codes
    page.goto("/subscriptions")
    text = page.locator("main").inner_text()
    assert "Designer" in text and not CODES.search(text), text


@ON_SQLITE_STACK
def test_R1_a_forgotten_password_is_reset_from_the_emailed_link(stack, api, customer, open_browser):
    [email, _] = customer.credentials or ("", "")
    page = open_browser("en")
    visit(page, "/password-reset", "password-reset")
    page.locator("#email").fill(email)
    page.locator("form[action='/password-reset'] button[type=submit]").click()
    page.wait_for_load_state("load")
    look(page, "password-reset-sent")
    mail = eventually(lambda: mail_to(stack, email, "password_reset"), timeout=30, what="the password-reset e-mail")
    visit(page, link_in(mail), "password-reset-choose")
    page.locator("#password").fill(PASSWORD + "!")
    page.locator("#password_again").fill(PASSWORD + "!")
    page.get_by_role("button", name="Change my password").click()
    page.wait_for_url("**/password-reset/done")
    visit(page, "/password-reset/done", "password-reset-done")


@ON_SQLITE_STACK
def test_every_get_page_route_is_opened_by_a_browser_test(stack):
    """Runs last: a new GET page must be opened here or by the journeys, or be listed as no page."""
    unopened = set(ROUTES) - OPENED_HERE - set(OPENED_ELSEWHERE) - set(NOT_PAGES)
    assert not unopened, f"GET pages no browser test opens: {sorted(unopened)}"
    stale = (set(OPENED_ELSEWHERE) | set(NOT_PAGES)) - set(ROUTES)
    assert not stale, f"listed routes the portal no longer has: {sorted(stale)}"
