"""R45: an order records its billing details and address and the acceptance of the terms of
sale (when, and which version), carries them on `subscription.purchased` and shows them to
its administrator; without the acceptance, or with a bad country or VAT number, it is refused
with a clear 422. In process over SQLite, through the HTTP edge."""

from __future__ import annotations

import pytest

from contracts.subscriptions import SubscriptionPurchased
from contracts.testing import T0
from servicekit.http.auth import Caller
from subscriptions.domain.sale import TERMS_OF_SALE_VERSION
from subscriptions.handlers import orders

NOW = T0  # the service's clock (conftest.py)
ADA = Caller(person_id="p-ada", account_id="a-1", email="ada@example.com", name="Ada")
BILLING = {
    "company_name": "Ada Engineering SARL",
    "contact_name": "Ada Lovelace",
    "billing_email": "Billing@Ada.example.com",
    "address": "1 rue de la Paix",
    "address_extra": "Bâtiment B",
    "postal_code": "75002",
    "city": "Paris",
    "country": "fr",
    "vat_number": "fr 40 303 265 045",
}
STORED = {
    **BILLING,
    "billing_email": "billing@ada.example.com",
    "country": "FR",
    "vat_number": "FR40303265045",
}


@pytest.fixture
async def service(driver):
    async with driver.client(ADA) as http:
        yield http


def purchase(**changes) -> dict:
    return {"quantity": 2, "billing": BILLING, "accept_terms_of_sale": True, **changes}


def payload(envelope: dict) -> dict:
    return envelope["data"]


async def test_R45_the_billing_details_and_the_accepted_terms_are_stored_on_the_event_and_shown(service, driver):
    answer = await service.post("/subscriptions", json=purchase())
    assert answer.status_code == 201, answer.text
    sid = answer.json()["id"]

    shown = (await service.get(f"/subscriptions/{sid}")).json()
    assert shown["billing"] == STORED
    assert shown["terms_of_sale_version"] == TERMS_OF_SALE_VERSION
    assert shown["terms_of_sale_accepted_at"].startswith(NOW.isoformat()[:19])
    assert answer.json()["billing"] == STORED  # the command's answer says the same

    [event] = await driver.published("subscription.purchased")
    purchased = SubscriptionPurchased.model_validate(payload(event))
    assert purchased.billing is not None and purchased.billing.model_dump() == STORED
    assert (purchased.terms_of_sale_accepted_at, purchased.terms_of_sale_version) == (NOW, TERMS_OF_SALE_VERSION)


async def test_R45_billing_details_are_optional_but_the_acceptance_is_recorded_without_them(service, driver):
    answer = await service.post("/subscriptions", json={"quantity": 1, "accept_terms_of_sale": True})
    assert answer.status_code == 201, answer.text
    shown = (await service.get(f"/subscriptions/{answer.json()['id']}")).json()
    assert shown["billing"] is None and shown["terms_of_sale_version"] == TERMS_OF_SALE_VERSION
    [event] = await driver.published("subscription.purchased")
    assert payload(event)["billing"] is None and payload(event)["terms_of_sale_version"] == TERMS_OF_SALE_VERSION


@pytest.mark.parametrize("acceptance", [{}, {"accept_terms_of_sale": False}])
async def test_R45_a_purchase_without_accepting_the_terms_of_sale_is_refused_and_nothing_is_kept(
    service, driver, acceptance
):
    body = {"quantity": 2, "billing": BILLING, **acceptance}
    answer = await service.post("/subscriptions", json=body)
    assert answer.status_code == 422
    refusal = answer.json()
    assert (refusal["code"], refusal["rule"]) == ("terms_of_sale_not_accepted", "R45")
    assert "accept_terms_of_sale" in refusal["message"]
    assert (await service.get("/subscriptions")).json() == []
    assert await driver.published("subscription.purchased") == []


@pytest.mark.parametrize(
    "field, value, code, named",
    [
        ("country", "France", "unknown_country", "'France'"),
        ("country", "ZZ", "unknown_country", "alpha-2"),
        ("vat_number", "FR12345678901", "invalid_vat_number", "'FR12345678901'"),  # check digits wrong
        ("vat_number", "BE0403170701", "invalid_vat_number", "starts with FR"),  # another country's (issue 15)
        ("vat_number", "US123456789", "invalid_vat_number", "'US123456789'"),
    ],
)
async def test_R45_a_bad_country_or_vat_number_is_refused_with_a_clear_error(
    service, driver, field, value, code, named
):
    answer = await service.post("/subscriptions", json=purchase(billing={**BILLING, field: value}))
    assert answer.status_code == 422
    refusal = answer.json()
    assert (refusal["code"], refusal["rule"]) == (code, "R45") and named in refusal["message"]
    assert await driver.published("subscription.purchased") == []


async def test_R45_issue_15_a_vat_number_without_its_prefix_takes_the_billing_country_s(service, driver):
    """The checks are contracts.parties' (as identity's): the address's country says which scheme."""
    answer = await service.post("/subscriptions", json=purchase(billing={**BILLING, "vat_number": "40303265045"}))
    assert answer.status_code == 201, answer.text
    assert answer.json()["billing"]["vat_number"] == "FR40303265045"
    belgian = {**BILLING, "country": "be", "vat_number": "0403.170.701"}
    answer = await service.post("/subscriptions", json=purchase(billing=belgian))
    assert (answer.json()["billing"]["country"], answer.json()["billing"]["vat_number"]) == ("BE", "BE0403170701")


@pytest.mark.parametrize(
    "changes",
    [
        {"company_name": "x" * 201},
        {"contact_name": "x" * 201},
        {"address": "x" * 201},
        {"address_extra": "x" * 201},
        {"postal_code": "1" * 21},
        {"city": "x" * 101},
        {"country": "x" * 101},
        {"vat_number": "FR" + "1" * 31},
        {"company_name": ""},
        {"city": "Paris\r\nBcc: everyone@example.com"},
        {"billing_email": "billing@ada.example.com, other@example.org"},
        {"billing_email": "not an address"},
        {"company_name": None},
    ],
)
async def test_R45_billing_details_are_bounded_and_checked_at_the_edge(service, changes):
    answer = await service.post("/subscriptions", json=purchase(billing={**BILLING, **changes}))
    assert (answer.status_code, answer.json()["code"]) == (422, "invalid_request"), (changes, answer.text)
    assert (await service.get("/subscriptions")).json() == []


async def test_R45_a_missing_billing_field_is_refused(service):
    billing = {k: v for k, v in BILLING.items() if k != "postal_code"}
    answer = await service.post("/subscriptions", json=purchase(billing=billing))
    assert (answer.status_code, answer.json()["code"]) == (422, "invalid_request")


async def test_R45_R19_an_order_awaiting_approval_keeps_its_details_for_the_purchase_event(service, driver, catalogue):
    """The terms were accepted when the reseller ordered, not when the approver decided."""
    body = purchase(product="printserver", licence_type="node_locked", project_id="proj-1")
    answer = await service.post("/subscriptions", json=body)
    assert answer.status_code == 201 and answer.json()["status"] == "awaiting_approval", answer.text
    sid = answer.json()["id"]
    assert answer.json()["billing"] == STORED

    async with driver.runtime.uow() as uow:
        await orders.decide_order(sid, True, uow, catalogue=catalogue, portal_url="http://portal.test")
        await uow.commit()
    [event] = await driver.published("subscription.purchased")
    assert payload(event)["billing"] == STORED
    assert payload(event)["terms_of_sale_version"] == TERMS_OF_SALE_VERSION


def test_R45_a_purchase_event_of_before_still_parses_without_the_new_fields():
    older = {
        "subscription_id": "s-1",
        "account_id": "a-1",
        "administrator": {"person_id": "p-1", "email": "ada@example.com", "name": "Ada", "locale": "en"},
        "product": "designer",
        "tier": "standard",
        "licence_type": "named_user",
        "billing_cycle": "annual",
        "quantity": 1,
        "unit_price": {"amount_minor": 6500, "currency": "EUR"},
        "ordered_at": NOW.isoformat(),
        "activation_deadline": NOW.isoformat(),
        "agreement_url": "http://portal.test/subscriptions/s-1/agreement",
    }
    event = SubscriptionPurchased.model_validate(older)
    assert (event.billing, event.terms_of_sale_accepted_at, event.terms_of_sale_version) == (None, None, None)


async def test_R45_the_same_key_twice_is_one_order_with_its_details(service, driver):
    headers = {"Idempotency-Key": "checkout-1"}
    first = await service.post("/subscriptions", json=purchase(), headers=headers)
    again = await service.post("/subscriptions", json=purchase(), headers=headers)
    assert first.status_code == again.status_code == 201
    assert first.json()["id"] == again.json()["id"] and again.json()["billing"] == STORED
    assert len(await driver.published("subscription.purchased")) == 1
