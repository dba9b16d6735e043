"""Issue 15, item 1: the buyer's billing details at identity. Any member of the account reads
them, only its administrators change them; a country that is no ISO 3166 code or a VAT number
python-stdnum refuses for the address's country is answered 422 naming the field, and nothing
is kept; every change publishes `identity.billing_details_changed` once (the same details
again publish nothing). They are captured at sign-up, and from the first order that gives
some (`subscription.purchased`, R45) while the account has none. Over SQLite and PostgreSQL
(`service` in conftest.py)."""

from __future__ import annotations

from contracts.subscriptions import BillingDetails
from contracts.testing import SubscriptionStory
from contracts.values import Contact
from identity.domain import billing_details as rules

from .test_api import PASSWORD, latest_token, published, register, signed_in

DETAILS = {
    "legal_name": "Acme Ingénierie SAS",
    "address": {
        "line1": "1 rue de la Paix",
        "line2": "Bâtiment B",
        "postcode": "75002",
        "city": "Paris",
        "country": "fr",
    },
    "vat_number": "fr 40 303 265 045",
    "invoicing_email": "Compta@Acme.example.com",
}
STORED = {
    "legal_name": "Acme Ingénierie SAS",
    "address": {
        "line1": "1 rue de la Paix",
        "line2": "Bâtiment B",
        "postcode": "75002",
        "city": "Paris",
        "country": "FR",
    },
    "vat_number": "FR40303265045",
    "invoicing_email": "compta@acme.example.com",
}
CHANGED = "identity.billing_details_changed"


def url(account_id: str) -> str:
    return f"/accounts/{account_id}/billing-details"


def details_of(answer: dict) -> dict:
    return {k: answer[k] for k in STORED}


async def member_of(service, account_id: str, administrator: dict, email: str = "mia@example.com") -> dict:
    """A plain member of the account (added by its administrator, registered, verified), signed in."""
    await service.post(
        f"/accounts/{account_id}/contacts",
        headers=administrator,
        json={"email": email, "first_name": "Mia", "last_name": "Member"},
    )
    _, headers = await signed_in(service, email, company=None)
    return headers


async def test_issue_15_the_administrator_sets_the_billing_details_members_read_them(service):
    acme, ada = await signed_in(service)
    account_id = acme["account_id"]
    mia = await member_of(service, account_id, ada)
    none_yet = await service.get(url(account_id), headers=mia)
    assert (none_yet.status_code, none_yet.json()["code"]) == (404, "billing_details_not_found")

    answer = await service.put(url(account_id), headers=ada, json=DETAILS)
    assert answer.status_code == 200, answer.text
    assert details_of(answer.json()) == STORED and len(answer.json()["event_ids"]) == 1
    read = (await service.get(url(account_id), headers=mia)).json()
    assert details_of(read) == STORED
    assert (read["account_id"], read["changed_by"]) == (account_id, acme["person_id"])

    [event] = await published(service, CHANGED)
    assert (event["subject"], event["data"]["account_id"]) == (account_id, account_id)
    assert event["data"]["details"] == STORED and event["data"]["changed_by"] == acme["person_id"]
    assert event["id"] == answer.json()["event_ids"][0]


async def test_issue_15_the_same_details_again_publish_nothing_a_change_publishes_once(service):
    acme, ada = await signed_in(service)
    account_id = acme["account_id"]
    assert (await service.put(url(account_id), headers=ada, json=DETAILS)).status_code == 200
    again = await service.put(url(account_id), headers=ada, json={**DETAILS, "vat_number": "FR40303265045"})
    assert again.status_code == 200 and again.json()["event_ids"] == []  # the same once normalised
    moved = {**DETAILS, "address": {**DETAILS["address"], "city": "Lyon", "postcode": "69001"}}
    changed = await service.put(url(account_id), headers=ada, json=moved)
    assert changed.json()["address"]["city"] == "Lyon" and len(changed.json()["event_ids"]) == 1
    events = await published(service, CHANGED)
    assert [e["data"]["details"]["address"]["city"] for e in events] == ["Paris", "Lyon"]


async def test_issue_15_only_an_administrator_changes_them_and_another_account_sees_nothing(service):
    acme, ada = await signed_in(service)
    account_id = acme["account_id"]
    mia = await member_of(service, account_id, ada)
    refused = await service.put(url(account_id), headers=mia, json=DETAILS)
    assert (refused.status_code, refused.json()["code"]) == (403, "not_an_administrator")
    assert "billing details" in refused.json()["message"]

    _, bob = await signed_in(service, "bob@example.com", "Globex")
    await service.put(url(account_id), headers=ada, json=DETAILS)
    for answer in (
        await service.get(url(account_id), headers=bob),
        await service.put(url(account_id), headers=bob, json=DETAILS),
        await service.put(url(account_id), headers=bob, json={**DETAILS, "vat_number": "FR40303265046"}),
    ):
        assert (answer.status_code, answer.json()["code"]) == (404, "account_not_found")
    assert (await service.get(url(account_id))).status_code == 401
    assert len(await published(service, CHANGED)) == 1  # Ada's alone


async def test_issue_15_an_invalid_vat_number_or_country_is_refused_naming_the_field_and_nothing_is_kept(service):
    acme, ada = await signed_in(service)
    account_id = acme["account_id"]
    for changes, code, said in (
        ({"vat_number": "FR40303265046"}, "invalid_vat_number", "checksum"),  # one check digit off
        ({"vat_number": "BE0403170701"}, "invalid_vat_number", "starts with FR"),  # a Belgian one, a French address
        ({"address": {**DETAILS["address"], "country": "France"}}, "unknown_country", "'France'"),
        ({"address": {**DETAILS["address"], "country": "ZZ"}}, "unknown_country", "ISO 3166"),
    ):
        answer = await service.put(url(account_id), headers=ada, json={**DETAILS, **changes})
        assert (answer.status_code, answer.json()["code"]) == (422, code), answer.text
        message = answer.json()["message"]
        assert said in message and ("vat_number" if code == "invalid_vat_number" else "address.country") in message
    assert (await service.get(url(account_id), headers=ada)).status_code == 404
    assert await published(service, CHANGED) == []

    set_ = await service.put(url(account_id), headers=ada, json=DETAILS)
    assert set_.status_code == 200
    bad = await service.put(url(account_id), headers=ada, json={**DETAILS, "vat_number": "FR40303265046"})
    assert bad.status_code == 422
    assert details_of((await service.get(url(account_id), headers=ada)).json()) == STORED  # kept as they were


async def test_issue_15_the_body_is_bounded_and_one_line_at_the_edge(service):
    acme, ada = await signed_in(service)
    account_id = acme["account_id"]
    for changes in (
        {"legal_name": "x" * 201},
        {"legal_name": ""},
        {"legal_name": "Acme\r\nBcc: everyone@example.com"},
        {"address": {**DETAILS["address"], "postcode": "1" * 21}},
        {"address": {**DETAILS["address"], "city": ""}},
        {"vat_number": "FR" + "1" * 31},
        {"invoicing_email": "compta@acme.example.com, other@example.org"},
    ):
        answer = await service.put(url(account_id), headers=ada, json={**DETAILS, **changes})
        assert (answer.status_code, answer.json()["code"]) == (422, "invalid_request"), changes
    without = await service.put(
        url(account_id), headers=ada, json={**DETAILS, "vat_number": "", "invoicing_email": None}
    )
    assert without.status_code == 200 and (without.json()["vat_number"], without.json()["invoicing_email"]) == (
        None,
        None,
    )


async def test_issue_15_billing_details_given_at_sign_up_are_kept_and_published_with_the_account(service):
    registered = await register(service, billing_details=DETAILS)
    [registered_event] = await published(service, "identity.account_registered")
    [event] = await published(service, CHANGED)
    assert event["subject"] == registered["account_id"] == registered_event["subject"]
    assert event["data"]["details"] == STORED and event["data"]["changed_by"] == registered["person_id"]
    await service.post("/verifications", json={"token": await latest_token(service, registered["person_id"])})
    token = (await service.post("/tokens", json={"email": "ada@example.com", "password": PASSWORD})).json()
    headers = {"Authorization": f"Bearer {token['access_token']}"}
    assert details_of((await service.get(url(registered["account_id"]), headers=headers)).json()) == STORED

    refused = await service.post(
        "/accounts",
        json={
            "email": "cy@example.com",
            "password": PASSWORD,
            "name": "Cy",
            "accept_terms": True,
            "company_name": "Cyco",
            "billing_details": {**DETAILS, "vat_number": "FR40303265046"},
        },
    )
    assert (refused.status_code, refused.json()["code"]) == (422, "invalid_vat_number")
    assert len(await published(service, "identity.account_registered")) == 1  # nothing of Cy's was created


def order_billing(**changes) -> BillingDetails:
    return BillingDetails(
        **{
            "company_name": "Acme SARL",
            "contact_name": "Ada Admin",
            "billing_email": "billing@acme.example.com",
            "address": "2 avenue Louise",
            "address_extra": None,
            "postal_code": "1050",
            "city": "Bruxelles",
            "country": "BE",
            "vat_number": "BE0403170701",
            **changes,
        }
    )


async def test_issue_15_R45_an_account_without_details_takes_its_order_s_and_keeps_them_after(service):
    acme, ada = await signed_in(service)
    account_id, person_id = acme["account_id"], acme["person_id"]
    buyer = Contact(person_id=person_id, email="ada@example.com", name="Ada Admin")
    story = SubscriptionStory(subscription_id="s-1", account_id=account_id, administrator=buyer)

    assert await service.driver.deliver(story.purchased(billing=None)) == []  # an order without any
    [event] = await service.driver.deliver(story.purchased(billing=order_billing()))
    assert (event["type"], event["data"]["changed_by"]) == (CHANGED, person_id)
    taken = (await service.get(url(account_id), headers=ada)).json()
    assert (taken["legal_name"], taken["invoicing_email"], taken["vat_number"]) == (
        "Acme SARL",
        "billing@acme.example.com",
        "BE0403170701",
    )
    assert taken["address"] == {
        "line1": "2 avenue Louise",
        "line2": None,
        "postcode": "1050",
        "city": "Bruxelles",
        "country": "BE",
    }

    later = SubscriptionStory(subscription_id="s-2", account_id=account_id, administrator=buyer)
    assert await service.driver.deliver(later.purchased(billing=order_billing(company_name="Other SA"))) == []
    assert (await service.get(url(account_id), headers=ada)).json()["legal_name"] == "Acme SARL"
    assert service.driver.dead_letters == []


async def test_issue_15_an_order_of_an_account_with_details_leaves_them_and_an_unknown_account_is_refused(service):
    acme, ada = await signed_in(service)
    account_id = acme["account_id"]
    await service.put(url(account_id), headers=ada, json=DETAILS)
    buyer = Contact(person_id=acme["person_id"], email="ada@example.com", name="Ada Admin")
    story = SubscriptionStory(subscription_id="s-1", account_id=account_id, administrator=buyer)
    assert await service.driver.deliver(story.purchased(billing=order_billing())) == []
    assert details_of((await service.get(url(account_id), headers=ada)).json()) == STORED

    stranger = SubscriptionStory(subscription_id="s-9", account_id="a-unknown", administrator=buyer)
    await service.driver.deliver(stranger.purchased(billing=order_billing()))
    [dead] = service.driver.dead_letters
    assert dead.reason == "inconsistent"
    assert len(await published(service, CHANGED)) == 1


def test_issue_15_an_order_s_details_that_today_s_checks_refuse_are_not_taken_over():
    """An order placed before subscriptions checked the VAT number against the country."""
    assert rules.from_order(order_billing(country="FR")) is None  # a Belgian number, a French address
    assert rules.from_order(order_billing(country="NL", vat_number=None)) is not None
