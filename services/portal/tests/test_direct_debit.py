"""The company's direct-debit page (issue 15, item 5): billing's SEPA mandate shown with its IBAN
masked, given through billing's `PUT /accounts/{id}/sepa-mandate` with the form's
Idempotency-Key, revoked through `DELETE` from a form carrying the CSRF token; billing's
refusals of a field are shown next to it, and a person who administers none of the company's
subscriptions is told so on the page (R6)."""

from __future__ import annotations

import json
import re
from typing import Any

import httpx
import pytest

from portal.api.deps import new_key

from .conftest import ADA, EVE, hidden_fields, problem

PAGE = "/company/direct-debit"
REVOKE = "/company/direct-debit/revoke"
IBAN = "BE68539007547034"
FORM = {
    "debtor_name": "Ada & Co SAS",
    "iban": "BE68 5390 0754 7034",
    "bic": "",
    "mandate_reference": "",
    "signed_on": "2026-01-02",
}
SEPA = ("FR", "BE", "NL", "DE")


@pytest.fixture
def billing(portal):
    """billing's mandate routes over a dict, with its rules: the account the token acts for
    only (404 otherwise), an administrator of one of its subscriptions only (403), the IBAN
    checked (422 by code), a reference never used twice (409), the IBAN answered masked but for
    its last 4 characters, 404 `sepa_mandate_not_found` while none is active."""
    fakes = portal.fakes
    state: dict[str, Any] = {
        "mandate": None,
        "administrators": {ADA.person_id},
        "puts": [],
        "deletes": [],
        "references": set(),
    }

    def refusal(caller, account_id: str) -> httpx.Response | None:
        if caller is None or caller.account_id != account_id:
            return problem(404, "account_not_found", "No account.")
        if caller.person_id not in state["administrators"]:
            return problem(403, "not_an_administrator", "Only an administrator of one of the subscriptions (R6).")
        return None

    def view(mandate: dict[str, Any]) -> dict[str, Any]:
        iban = mandate["iban"]
        return {**mandate, "iban": "*" * (len(iban) - 4) + iban[-4:]}

    @fakes.route("billing", "GET", r"/accounts/([^/]+)/sepa-mandate")
    def read(request, caller, match):
        if (refused := refusal(caller, match[1])) is not None:
            return refused
        if state["mandate"] is None or state["mandate"]["account_id"] != match[1]:
            return problem(404, "sepa_mandate_not_found", "None active.")
        return httpx.Response(200, json=view(state["mandate"]))

    @fakes.route("billing", "PUT", r"/accounts/([^/]+)/sepa-mandate")
    def give(request, caller, match):
        body = json.loads(request.content)
        state["puts"].append((request.headers.get("idempotency-key"), body))
        if (refused := refusal(caller, match[1])) is not None:
            return refused
        iban = body["iban"].replace(" ", "").upper()
        if not re.fullmatch(r"[A-Z]{2}[0-9]{2}[A-Z0-9]{11,30}", iban):
            return problem(422, "iban_invalid", "not a valid IBAN")
        if iban[:2] not in SEPA:
            return problem(422, "iban_not_sepa", f"{iban[:2]} is not in the SEPA scheme")
        reference = body["mandate_reference"] or f"ENT-A1-{len(state['references']) + 1}"
        if reference in state["references"]:
            return problem(409, "mandate_reference_taken", "Already used.")
        state["references"].add(reference)
        state["mandate"] = {
            "account_id": match[1],
            "debtor_name": body["debtor_name"],
            "iban": iban,
            "bic": body["bic"],
            "mandate_reference": reference,
            "signed_on": body["signed_on"],
            "sequence": "FRST",
            "given_at": "2026-01-05T09:00:00Z",
            "revoked_at": None,
        }
        return httpx.Response(200, json=view(state["mandate"]))

    @fakes.route("billing", "DELETE", r"/accounts/([^/]+)/sepa-mandate")
    def revoke(request, caller, match):
        state["deletes"].append(request.headers.get("idempotency-key"))
        if (refused := refusal(caller, match[1])) is not None:
            return refused
        if state["mandate"] is None:
            return problem(404, "sepa_mandate_not_found", "None active.")
        revoked = {**state["mandate"], "revoked_at": "2026-01-05T09:00:00Z"}
        state["mandate"] = None
        return httpx.Response(200, json=view(revoked))

    return state


def given(sequence: str = "FRST") -> dict[str, Any]:
    return {
        "account_id": ADA.account_id,
        "debtor_name": "Ada & Co SAS",
        "iban": IBAN,
        "bic": "BNPAFRPP",
        "mandate_reference": "ENT-A1-1",
        "signed_on": "2026-01-02",
        "sequence": sequence,
        "given_at": "2026-01-05T09:00:00Z",
        "revoked_at": None,
    }


def error_of(html: str, field: str) -> str | None:
    found = re.search(rf'<p id="{field}-error" class="problem" role="alert">([^<]*)</p>', html)
    return found[1] if found else None


def input_of(html: str, field: str) -> str:
    found = re.search(rf'<input id="{field}" [^>]*>', html)
    assert found, field
    return found[0]


async def test_issue_15_without_a_mandate_the_page_says_none_is_given_and_offers_the_form(portal, billing):
    await portal.sign_in()
    page = await portal.get(PAGE)
    assert page.status_code == 200 and "<h1>Direct debit</h1>" in page.text
    assert 'href="/company/direct-debit" aria-current="page"' in page.text  # in the company's navigation
    assert "No direct-debit mandate is given" in page.text
    assert 'action="/company/direct-debit"' in page.text and f'action="{REVOKE}"' not in page.text
    assert '<label for="iban">IBAN</label>' in page.text
    assert 'type="date"' in input_of(page.text, "signed_on")
    assert (
        "Your invoices are debited from this account on their due date; each invoice says the amount and date."
        in page.text
    )


@pytest.mark.parametrize(("sequence", "status"), [("FRST", "First collection pending"), ("RCUR", "Active")])
async def test_issue_15_the_mandate_is_shown_with_its_iban_masked(portal, billing, sequence, status):
    billing["mandate"] = given(sequence)
    await portal.sign_in()
    page = await portal.get(PAGE)
    assert page.status_code == 200
    assert IBAN not in page.text and "5390" not in page.text  # billing never sends it whole
    assert "*" * 12 + "7034" in page.text and "Ending in 7034" in page.text
    assert "ENT-A1-1" in page.text and "January 2, 2026" in page.text
    assert f"<dd>{status}</dd>" in page.text
    assert f'action="{REVOKE}"' in page.text and "Replace the mandate" in page.text
    assert (
        "Your invoices are debited from this account on their due date; each invoice says the amount and date."
        in page.text
    )


async def test_issue_15_an_administrator_gives_a_mandate_with_the_form_s_key(portal, billing):
    await portal.sign_in()
    fields = hidden_fields((await portal.get(PAGE)).text)
    saved = await portal.post(PAGE, data={**fields, **FORM})
    assert saved.status_code == 303 and saved.headers["location"] == f"{PAGE}?saved=1"
    [(key, body)] = billing["puts"]
    assert key == fields["idempotency_key"]
    assert body == {
        "debtor_name": "Ada & Co SAS",
        "iban": "BE68 5390 0754 7034",
        "bic": None,  # left empty: billing derives it from the IBAN
        "mandate_reference": None,  # left empty: billing makes one
        "signed_on": "2026-01-02",
    }
    shown = await portal.get(saved.headers["location"])
    assert "Direct-debit mandate saved." in shown.text
    assert "ENT-A1-1" in shown.text and "Ending in 7034" in shown.text


@pytest.mark.parametrize(
    ("changes", "field", "status", "message"),
    [
        ({"iban": "US12 3456"}, "iban", 422, "This is not a valid IBAN."),
        ({"iban": "TR33 0006 1005 1978 6457 8413 26"}, "iban", 422, "not in a SEPA country"),
        ({"mandate_reference": "ENT-A1-1"}, "mandate_reference", 409, "already used by another mandate"),
    ],
)
async def test_issue_15_billing_s_refusal_is_shown_beside_its_field(portal, billing, changes, field, status, message):
    billing["references"].add("ENT-A1-1")  # an earlier mandate's
    await portal.sign_in()
    fields = hidden_fields((await portal.get(PAGE)).text)
    refused = await portal.post(PAGE, data={**fields, **FORM, **changes})
    assert refused.status_code == status
    assert message in (error_of(refused.text, field) or ""), refused.text
    described = input_of(refused.text, field)
    assert f"{field}-error" in described and 'aria-invalid="true"' in described  # linked to the field
    assert f'value="{next(iter(changes.values()))}"' in described  # kept as typed
    assert billing["mandate"] is None


async def test_issue_15_the_portal_checks_what_was_typed_before_asking_billing(portal, billing):
    await portal.sign_in()
    fields = hidden_fields((await portal.get(PAGE)).text)
    refused = await portal.post(
        PAGE, data={**fields, **FORM, "debtor_name": "", "signed_on": "02/01/2026", "mandate_reference": "x" * 36}
    )
    assert refused.status_code == 422
    assert error_of(refused.text, "debtor_name") == "Fill in this field."
    assert error_of(refused.text, "signed_on") == "Enter a date, such as 2027-06-30."
    assert error_of(refused.text, "mandate_reference") == "This is too long."
    assert billing["puts"] == []


async def test_issue_15_the_mandate_is_revoked_from_a_form_with_its_csrf_token(portal, billing):
    billing["mandate"] = given("RCUR")
    await portal.sign_in()
    page = await portal.get(PAGE)
    assert "nothing more is debited from this account" in page.text  # the confirmation sentence
    fields = hidden_fields(page.text.split(f'action="{REVOKE}"')[1].split("</form>")[0])

    forged = await portal.post(REVOKE, data={"idempotency_key": fields["idempotency_key"]})
    assert forged.status_code == 403 and billing["deletes"] == []  # no CSRF token: nothing sent

    revoked = await portal.post(REVOKE, data=fields)
    assert revoked.status_code == 303 and revoked.headers["location"] == f"{PAGE}?revoked=1"
    assert billing["deletes"] == [fields["idempotency_key"]] and billing["mandate"] is None
    shown = await portal.get(revoked.headers["location"])
    assert "Direct-debit mandate revoked" in shown.text and "No direct-debit mandate is given" in shown.text

    again = await portal.post(REVOKE, data={**fields, "idempotency_key": new_key()})  # from a stale tab
    assert again.status_code == 409 and "nothing to revoke" in again.text


async def test_issue_15_r6_a_non_administrator_is_told_so_on_the_page(portal, billing):
    billing["administrators"] = {"p-mia"}
    billing["mandate"] = given()
    await portal.sign_in()
    page = await portal.get(PAGE)
    assert page.status_code == 403
    assert "Only an administrator of one of the company&#39;s subscriptions" in page.text
    assert "ENT-A1-1" not in page.text and "7034" not in page.text
    assert 'action="/company/direct-debit"' not in page.text
    fields = hidden_fields(page.text) | {"idempotency_key": new_key()}  # a form sent anyway
    refused = await portal.post(PAGE, data={**fields, **FORM})
    assert refused.status_code == 403 and "Only an administrator" in refused.text
    assert billing["mandate"]["debtor_name"] == "Ada & Co SAS" and len(billing["puts"]) == 1


async def test_issue_15_another_company_s_mandate_is_not_shown(portal, billing):
    billing["mandate"] = given()
    billing["administrators"].add(EVE.person_id)
    await portal.sign_in(EVE)
    page = await portal.get(PAGE)
    assert page.status_code == 200 and "No direct-debit mandate is given" in page.text
    assert "ENT-A1-1" not in page.text
    # The portal asks for the company the session acts for, never one named by the browser.
    assert [r.url.path for r in portal.fakes.requests if r.url.host == "billing"] == [
        f"/accounts/{EVE.account_id}/sepa-mandate"
    ]


@pytest.mark.parametrize("locale", ["fr", "nl", "de"])
async def test_issue_15_the_page_speaks_every_language(portal, billing, locale):
    billing["mandate"] = given()
    await portal.sign_in()
    fields = hidden_fields((await portal.get(PAGE)).text)
    await portal.post("/language", data={"csrf_token": fields["csrf_token"], "locale": locale, "next": PAGE})
    page = await portal.get(PAGE)
    title = {"fr": "Prélèvement automatique", "nl": "Domiciliëring", "de": "Lastschrift"}[locale]
    assert f'<html lang="{locale}">' in page.text and f"<h1>{title}</h1>" in page.text
    form = hidden_fields(page.text.split(f'action="{PAGE}"')[1])
    refused = await portal.post(PAGE, data={**form, **FORM, "iban": "TR33 0006 1005 1978 6457 8413 26"})
    assert error_of(refused.text, "iban") and "SEPA" in error_of(refused.text, "iban")
