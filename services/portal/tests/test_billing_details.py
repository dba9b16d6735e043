"""The company's billing details page (issue 15, item 1): every member reads them, an
administrator sets and changes them through identity's `PUT /accounts/{id}/billing-details`
with the form's Idempotency-Key; what the portal finds wrong, and identity's refusals of the
country and the VAT number, are shown next to their field, and nothing is sent or kept."""

from __future__ import annotations

import json
import re
from typing import Any

import httpx
import pytest

from portal.api.deps import new_key

from .conftest import ADA, EVE, hidden_fields, problem

PAGE = "/company/billing-details"
MIA = {"person_id": "p-mia"}
FORM = {
    "legal_name": "Ada & Co SAS",
    "line1": "1 rue de la Paix",
    "line2": "",
    "postcode": "75002",
    "city": "Paris",
    "country": "FR",
    "vat_number": "FR40303265045",
    "invoicing_email": "compta@ada.example.com",
}


@pytest.fixture
def identity(portal):
    """identity's routes this page calls, over dicts, with its rules: the account the token acts
    for only (404 otherwise), 404 `billing_details_not_found` while none are set, changes by its
    administrator only (403), a VAT number of the address's country (422, as python-stdnum)."""
    fakes = portal.fakes
    state: dict[str, Any] = {"details": None, "puts": [], "administrator": ADA.person_id}

    def contacts(account_id: str) -> list[dict[str, Any]]:
        return [
            {
                "contact_id": "c-ada",
                "email": ADA.email,
                "first_name": "Ada",
                "last_name": "Lovelace",
                "locale": "en",
                "role": "administrator" if state["administrator"] == ADA.person_id else "member",
                "status": "linked",
                "person_id": ADA.person_id,
            }
        ]

    @fakes.route("identity", "GET", r"/accounts/([^/]+)")
    def read_account(request, caller, match):
        if caller is None or caller.account_id != match[1]:
            return problem(404, "account_not_found", "No account.")
        return httpx.Response(200, json={"account_id": match[1], "company_name": "Ada & Co", "status": "verified"})

    @fakes.route("identity", "GET", r"/accounts/([^/]+)/contacts")
    def read_contacts(request, caller, match):
        return httpx.Response(200, json=contacts(match[1]))

    @fakes.route("identity", "GET", r"/accounts/([^/]+)/billing-details")
    def read_details(request, caller, match):
        if caller is None or caller.account_id != match[1]:
            return problem(404, "account_not_found", "No account.")
        if state["details"] is None:
            return problem(404, "billing_details_not_found", "None yet.")
        return httpx.Response(200, json=state["details"])

    @fakes.route("identity", "PUT", r"/accounts/([^/]+)/billing-details")
    def change(request, caller, match):
        body = json.loads(request.content)
        state["puts"].append((request.headers.get("idempotency-key"), body))
        if caller is None or caller.account_id != match[1]:
            return problem(404, "account_not_found", "No account.")
        if state["administrator"] != caller.person_id:
            return problem(403, "not_an_administrator", "Only an administrator (issue 15).")
        if body["address"]["country"] not in ("FR", "BE", "NL", "DE"):
            return problem(422, "unknown_country", "address.country: not an ISO 3166 code.")
        if body["vat_number"] and not body["vat_number"].startswith(body["address"]["country"]):
            return problem(422, "invalid_vat_number", "vat_number: not one of the country.")
        if body["vat_number"] == "FR40303265046":
            return problem(422, "invalid_vat_number", "vat_number: the check digits are wrong.")
        state["details"] = {
            **body,
            "account_id": match[1],
            "changed_at": "2026-01-05T09:00:00Z",
            "changed_by": caller.person_id,
        }
        return httpx.Response(200, json={**state["details"], "event_ids": ["e-1"]})

    return state


def error_of(html: str, field: str) -> str | None:
    found = re.search(rf'<p id="{field}-error" class="problem" role="alert">([^<]*)</p>', html)
    return found[1] if found else None


async def test_issue_15_an_administrator_sets_the_billing_details_with_the_form_s_key(portal, identity):
    await portal.sign_in()
    page = await portal.get(PAGE)
    assert page.status_code == 200 and "<h1>Billing details</h1>" in page.text
    assert "No billing details are set yet" in page.text
    assert 'value="Ada &amp; Co"' in page.text  # the company's name proposed as the legal name
    assert 'href="/company/billing-details" aria-current="page"' in page.text
    fields = hidden_fields(page.text)

    saved = await portal.post(PAGE, data={**fields, **FORM})
    assert saved.status_code == 303 and saved.headers["location"] == f"{PAGE}?saved=1"
    [(key, body)] = identity["puts"]
    assert key == fields["idempotency_key"]
    assert body == {
        "legal_name": "Ada & Co SAS",
        "address": {"line1": "1 rue de la Paix", "line2": None, "postcode": "75002", "city": "Paris", "country": "FR"},
        "vat_number": "FR40303265045",
        "invoicing_email": "compta@ada.example.com",
    }
    shown = await portal.get(saved.headers["location"])
    assert "Billing details saved." in shown.text and "FR40303265045" in shown.text
    assert "France" in shown.text  # the country by its name, in the page's language


async def test_issue_15_an_invalid_vat_number_is_shown_next_to_its_field_and_nothing_is_kept(portal, identity):
    await portal.sign_in()
    fields = hidden_fields((await portal.get(PAGE)).text)
    for changes, field in (
        ({"vat_number": "FR40303265046"}, "vat_number"),
        ({"vat_number": "BE0403170701"}, "vat_number"),
        ({"country": "France"}, "country"),
    ):
        refused = await portal.post(PAGE, data={**fields, **FORM, **changes})
        assert refused.status_code == 422
        assert error_of(refused.text, field), (changes, refused.text)
        assert 'aria-invalid="true"' in refused.text
        assert f'value="{next(iter(changes.values()))}"' in refused.text  # kept as typed
    assert identity["details"] is None


async def test_issue_15_the_portal_checks_what_was_typed_before_asking_identity(portal, identity):
    await portal.sign_in()
    fields = hidden_fields((await portal.get(PAGE)).text)
    refused = await portal.post(
        PAGE, data={**fields, **FORM, "legal_name": "", "city": "x" * 101, "invoicing_email": "not an address"}
    )
    assert refused.status_code == 422
    assert error_of(refused.text, "legal_name") == "Fill in this field."
    assert error_of(refused.text, "city") == "This is too long."
    assert error_of(refused.text, "invoicing_email") == "This is not an e-mail address."
    assert identity["puts"] == []


async def test_issue_15_a_member_reads_them_without_a_form_and_is_refused_a_change(portal, identity):
    identity["administrator"] = MIA["person_id"]
    identity["details"] = {
        "legal_name": "Ada & Co SAS",
        "address": {"line1": "1 rue de la Paix", "line2": None, "postcode": "75002", "city": "Paris", "country": "FR"},
        "vat_number": "FR40303265045",
        "invoicing_email": None,
        "account_id": ADA.account_id,
        "changed_at": "2026-01-05T09:00:00Z",
        "changed_by": "p-mia",
    }
    await portal.sign_in()
    page = await portal.get(PAGE)
    assert "Ada &amp; Co SAS" in page.text and 'action="/company/billing-details"' not in page.text
    assert "Only an administrator of the company can change its billing details." in page.text
    fields = hidden_fields(page.text) | {"idempotency_key": new_key()}  # a form sent anyway
    refused = await portal.post(PAGE, data={**fields, **FORM})
    assert refused.status_code == 403
    assert "Only an administrator of the company can change its billing details." in refused.text


@pytest.mark.parametrize("locale", ["fr", "nl", "de"])
async def test_issue_15_the_page_speaks_every_language(portal, identity, locale):
    await portal.sign_in()
    fields = hidden_fields((await portal.get(PAGE)).text)
    await portal.post("/language", data={"csrf_token": fields["csrf_token"], "locale": locale, "next": PAGE})
    page = await portal.get(PAGE)
    title = {"fr": "Coordonnées de facturation", "nl": "Factuurgegevens", "de": "Rechnungsangaben"}[locale]
    assert f'<html lang="{locale}">' in page.text and f"<h1>{title}</h1>" in page.text
    refused = await portal.post(PAGE, data={**hidden_fields(page.text), **FORM, "vat_number": "FR40303265046"})
    assert error_of(refused.text, "vat_number") and "FR40303265045" in error_of(refused.text, "vat_number")


async def test_issue_15_another_company_s_page_is_not_shown(portal, identity):
    await portal.sign_in(EVE)
    page = await portal.get(PAGE)
    assert page.status_code == 200  # Eve's own company, none set: no data of Ada's
    assert "Ada &amp; Co SAS" not in page.text
