"""The SEPA Direct Debit mandate (issue 15, item 5) in a real browser, against the running
stack: the administrator opens "Direct debit" from the company's navigation, types an IBAN
with a wrong check digit and sees it refused beside its field (billing's schwifty check), gives
the mandate, reads it back with its IBAN masked (billing never sends it whole), and revokes it.
"""

from __future__ import annotations

from devkit.client import EntitleClient, EntitleError, eventually

from .conftest import ON_SQLITE_STACK, look, sign_in

PAGE = "/company/direct-debit"
IBAN = "BE68 5390 0754 7034"  # the EPC's example account


def mandate(customer: EntitleClient, account_id: str) -> dict | None:
    """billing's answer, or None while there is none (404)."""
    try:
        return customer.call("billing", "GET", f"/accounts/{account_id}/sepa-mandate")
    except EntitleError as error:
        if error.status != 404:
            raise
        return None


@ON_SQLITE_STACK
def test_issue_15_the_administrator_gives_a_direct_debit_mandate_sees_it_masked_and_revokes_it(
    stack, customer, open_browser
):
    [email, _] = customer.credentials or ("", "")
    account_id = customer.call("identity", "GET", "/me/accounts")[0]["account_id"]
    sid = customer.purchase(quantity=1)["id"]  # the mandate is the business of whoever administers one
    customer.accept(sid)
    eventually(lambda: customer.subscription(sid)["status"] == "active", what="the subscription active")

    page = open_browser("en")
    sign_in(page, email)
    page.goto("/company")
    page.get_by_role("link", name="Direct debit").click()
    page.wait_for_url(f"**{PAGE}")
    assert page.locator("h1").inner_text() == "Direct debit"
    look(page, "company-direct-debit")

    page.locator("#debtor_name").fill("Ada Ingénierie SAS")
    page.locator("#iban").fill("BE68 5390 0754 7035")  # one check digit off
    page.locator("#signed_on").fill("2026-01-05")
    page.get_by_role("button", name="Give the mandate").click()
    page.wait_for_load_state("load")
    assert "not a valid IBAN" in page.locator("#iban-error").inner_text()
    assert page.locator("#iban").get_attribute("aria-invalid") == "true"
    assert page.locator("#iban").input_value() == "BE68 5390 0754 7035"  # kept as typed
    look(page, "company-direct-debit-invalid-iban")
    assert mandate(customer, account_id) is None  # nothing was kept

    page.locator("#iban").fill(IBAN)
    page.get_by_role("button", name="Give the mandate").click()
    page.wait_for_url(f"**{PAGE}?saved=1")
    shown = page.locator("main").inner_text()
    assert "Direct-debit mandate saved." in shown
    assert "7034" in shown and "5390 0754" not in shown.replace("\u00a0", " ")  # masked but the end
    look(page, "company-direct-debit-saved")
    kept = mandate(customer, account_id)
    assert kept is not None and kept["iban"].endswith("7034") and "53900754" not in kept["iban"]

    page.get_by_role("button", name="Revoke the mandate").click()
    page.wait_for_url(f"**{PAGE}?revoked=1")
    assert "nothing more is debited" in page.locator("main").inner_text()
    assert mandate(customer, account_id) is None
