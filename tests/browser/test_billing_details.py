"""The company's billing details (issue 15, item 1) in a real browser, against the running
stack: the administrator opens the page from the company's navigation, types an invalid VAT
number and sees it refused next to its field (identity's python-stdnum check), corrects it and
sees the details saved; identity then answers them to its API. And an order's billing details
(R45) become the account's, through the broker, when the account had none."""

from __future__ import annotations

from devkit.client import EntitleClient, EntitleError, eventually

from .conftest import ON_SQLITE_STACK, look, sign_in

PAGE = "/company/billing-details"


def billing_details(customer: EntitleClient, account_id: str) -> dict | None:
    """identity's answer, or None while none are set (404 `billing_details_not_found`)."""
    try:
        return customer.call("identity", "GET", f"/accounts/{account_id}/billing-details")
    except EntitleError as error:
        if error.code != "billing_details_not_found":
            raise
        return None


@ON_SQLITE_STACK
def test_issue_15_the_administrator_sets_the_billing_details_and_an_invalid_vat_number_is_refused(
    stack, customer, open_browser
):
    [email, _] = customer.credentials or ("", "")
    account_id = customer.call("identity", "GET", "/me/accounts")[0]["account_id"]
    page = open_browser("en")
    sign_in(page, email)
    page.goto("/company")
    page.get_by_role("link", name="Billing details").click()
    page.wait_for_url(f"**{PAGE}")
    assert page.locator("h1").inner_text() == "Billing details"
    look(page, "company-billing-details")

    page.locator("#legal_name").fill("Ada Ingénierie SAS")
    page.locator("#line1").fill("1 rue de la Paix")
    page.locator("#postcode").fill("75002")
    page.locator("#city").fill("Paris")
    page.locator("#country").fill("FR")
    page.locator("#vat_number").fill("FR40303265046")  # one check digit off
    page.get_by_role("button", name="Save the billing details").click()
    page.wait_for_load_state("load")
    error = page.locator("#vat_number-error")
    assert "not valid for the country of the address" in error.inner_text()
    assert page.locator("#vat_number").get_attribute("aria-invalid") == "true"
    assert page.locator("#vat_number").input_value() == "FR40303265046"  # kept as typed
    look(page, "company-billing-details-invalid-vat-number")
    assert billing_details(customer, account_id) is None  # nothing was kept

    page.locator("#vat_number").fill("FR 40 303 265 045")
    page.get_by_role("button", name="Save the billing details").click()
    page.wait_for_url(f"**{PAGE}?saved=1")
    assert "Billing details saved." in page.locator("main").inner_text()
    assert "FR40303265045" in page.locator("main").inner_text()
    look(page, "company-billing-details-saved")
    kept = billing_details(customer, account_id)
    assert kept is not None
    assert (kept["legal_name"], kept["vat_number"], kept["address"]["country"]) == (
        "Ada Ingénierie SAS",
        "FR40303265045",
        "FR",
    )


@ON_SQLITE_STACK
def test_issue_15_R45_an_order_s_billing_details_become_the_account_s_when_it_has_none(stack, api):
    buyer = api.new_customer("Bea Buyer")
    account_id = buyer.call("identity", "GET", "/me/accounts")[0]["account_id"]
    billing = {
        "company_name": "Bea Bouw BV",
        "contact_name": "Bea Buyer",
        "billing_email": "facturen@bea.example.com",
        "address": "Damrak 1",
        "postal_code": "1012 LG",
        "city": "Amsterdam",
        "country": "NL",
        "vat_number": "NL004495445B01",
    }
    buyer.purchase(quantity=1, billing=billing)

    details = eventually(
        lambda: billing_details(buyer, account_id), timeout=30, what="the order's billing details at identity"
    )
    assert (details["legal_name"], details["invoicing_email"], details["vat_number"]) == (
        "Bea Bouw BV",
        "facturen@bea.example.com",
        "NL004495445B01",
    )
