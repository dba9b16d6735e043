"""R36: the agreement is a document. Each purchase and amendment has a versioned agreement
text, fixed when offered; acceptance records who, when and which version; the accepted
agreement stays readable and downloadable for the life of the subscription, also after it
ended. Domain rules first, then the HTTP edge on SQLite."""

from __future__ import annotations

import uuid
from datetime import timedelta

import pytest

from contracts.testing import T0
from servicekit.http.auth import Caller, issue_token
from subscriptions.domain import agreements, amendments
from subscriptions.domain.agreements import AGREEMENT_TEMPLATE_VERSION, AgreementStatus
from subscriptions.handlers import lifecycle

from .conftest import ME, ORDERED

ADA = Caller(person_id="p-ada", account_id="a-1", email="ada@example.com", name="Ada Lovelace")
EVE = Caller(person_id="p-eve", account_id="a-eve", email="eve@example.com", name="Eve")


# -- the domain ---------------------------------------------------------------------------


def test_R36_the_version_names_the_template_and_the_hash_of_the_text(ordered):
    s = ordered()
    agreement = agreements.for_purchase(s, 1, ORDERED)
    assert agreement.text.startswith("Licence agreement for 3 named_user seat(s) of designer standard")
    assert agreement.content_hash == agreements.content_hash(AGREEMENT_TEMPLATE_VERSION, agreement.text)
    assert agreement.version == f"{AGREEMENT_TEMPLATE_VERSION}.{agreement.content_hash[:12]}"
    other = agreements.for_purchase(ordered(quantity=4), 1, ORDERED)
    assert other.version != agreement.version  # another text is another version


def test_R36_acceptance_records_who_when_and_the_event_names_the_version(ordered, designer):
    s = ordered()
    agreement = agreements.for_purchase(s, 1, ORDERED)
    at = ORDERED + timedelta(days=2)
    activated = agreements.accepted(agreement, s, at, s.activate(ME, at, designer))
    assert (agreement.status, agreement.accepted_by, agreement.accepted_at) == (
        AgreementStatus.ACCEPTED,
        "p-admin",
        at,
    )
    assert agreement.accepted_by_name == "Ada" and activated.agreement_version == agreement.version


def test_R36_the_text_accepted_does_not_follow_later_changes(active, designer):
    s = active()
    purchase = agreements.for_purchase(s, 1, ORDERED)
    _, proposed = amendments.propose_amendment(s, ME, "am-1", "premium", designer, ORDERED, None, "http://p")
    amendment = agreements.for_amendment(s, proposed, 2)
    assert "from standard to premium" in amendment.text and amendment.amendment_id == "am-1"
    s.tier = "premium"
    assert (
        "designer standard" in purchase.text
        and purchase.version == agreements.for_purchase(active(), 1, ORDERED).version
    )


def test_R36_an_order_that_lapsed_unaccepted_shows_its_agreement_lapsed(ordered):
    s = ordered()
    agreement = agreements.for_purchase(s, 1, ORDERED)
    s.expire_activation(s.activation_deadline)
    assert agreement.status_for(s) is AgreementStatus.LAPSED


# -- over HTTP ----------------------------------------------------------------------------


@pytest.fixture
async def service(driver):
    async with driver.client(ADA) as http:
        http.driver = driver
        yield http


async def bought(service, **plan) -> str:
    answer = await service.post("/subscriptions", json={"quantity": 2, "accept_terms_of_sale": True, **plan})
    assert answer.status_code == 201, answer.text
    return str(answer.json()["id"])


async def test_R36_the_order_fixes_a_versioned_agreement_that_acceptance_records(service):
    sid = await bought(service)
    offered = (await service.get(f"/subscriptions/{sid}/agreement")).json()
    assert offered["number"] == 1 and offered["version"].startswith(f"{AGREEMENT_TEMPLATE_VERSION}.")
    assert offered["agreement_status"] == "open" and offered["accepted_at"] is None
    assert "The terms of sale version 2026-01 apply." in offered["text"]

    assert (await service.post(f"/subscriptions/{sid}/activation")).status_code == 200

    accepted = (await service.get(f"/subscriptions/{sid}/agreement")).json()
    assert accepted["agreement_status"] == "accepted" and accepted["version"] == offered["version"]
    assert (accepted["accepted_by"], accepted["accepted_by_name"]) == ("p-ada", "Ada Lovelace")
    assert accepted["accepted_at"].startswith(T0.strftime("%Y-%m-%dT%H:%M"))
    assert accepted["document_path"] == f"/subscriptions/{sid}/agreements/1/document"
    [event] = await service.driver.published("subscription.activated")
    assert event["data"]["agreement_version"] == offered["version"]


async def test_R36_purchase_and_amendments_are_listed_with_version_status_and_acceptance(service):
    sid = await bought(service)
    await service.post(f"/subscriptions/{sid}/activation")
    first = (await service.post(f"/subscriptions/{sid}/amendments", json={"tier": "premium"})).json()
    second = (await service.post(f"/subscriptions/{sid}/amendments", json={"tier": "premium_plus"})).json()
    changed = await service.post(f"/subscriptions/{sid}/amendments/{second['id']}/acceptance")
    assert changed.status_code == 200, changed.text

    listed = (await service.get(f"/subscriptions/{sid}/agreements")).json()

    assert [(a["number"], a["kind"], a["amendment_id"], a["status"]) for a in listed] == [
        (1, "purchase", None, "accepted"),
        (2, "amendment", first["id"], "superseded"),
        (3, "amendment", second["id"], "accepted"),
    ]
    assert listed[2]["accepted_by"] == "p-ada" and listed[1]["accepted_at"] is None
    assert len({a["version"] for a in listed}) == 3
    third = (await service.get(f"/subscriptions/{sid}/agreements/3")).json()
    assert "from standard to premium_plus" in third["text"] and third["version"] == listed[2]["version"]
    [tier_changed] = await service.driver.published("subscription.tier_changed")
    assert tier_changed["data"]["agreement_version"] == listed[2]["version"]
    # The purchase's text still says what was bought, not what the subscription is now.
    assert "designer standard" in (await service.get(f"/subscriptions/{sid}/agreements/1")).json()["text"]
    paged = await service.get(f"/subscriptions/{sid}/agreements?limit=2")
    assert len(paged.json()) == 2 and paged.headers["X-Next-Cursor"]


async def test_R36_the_accepted_agreement_downloads_as_a_file_also_after_the_subscription_ended(service):
    sid = await bought(service)
    await service.post(f"/subscriptions/{sid}/activation")
    version = (await service.get(f"/subscriptions/{sid}/agreement")).json()["version"]
    async with service.driver.uow() as uow:
        await lifecycle.terminate(sid, "contract breach", uow)
        await uow.commit()

    file = await service.get(f"/subscriptions/{sid}/agreements/1/document")

    assert file.status_code == 200 and file.headers["content-type"].startswith("text/plain")
    assert file.headers["content-disposition"] == f'attachment; filename="agreement-{sid}-1-{version}.txt"'
    assert f"Version: {version}" in file.text
    assert "Accepted by: Ada Lovelace (person p-ada) on 2026-01-05 09:00:00 UTC" in file.text
    assert "Licence agreement for 2 named_user seat(s) of designer standard" in file.text
    assert (await service.get(f"/subscriptions/{sid}")).json()["status"] == "ended"


async def test_R36_a_converted_trial_has_its_purchase_agreement_accepted_on_conversion(service):
    trial = (await service.post("/subscriptions/trials", json={"product": "designer"})).json()
    converted = await service.post(f"/subscriptions/{trial['id']}/conversion", json={"quantity": 3})
    assert converted.status_code == 200, converted.text
    [purchase] = (await service.get(f"/subscriptions/{trial['id']}/agreements")).json()
    assert (purchase["kind"], purchase["status"], purchase["accepted_by"]) == ("purchase", "accepted", "p-ada")
    [event] = await service.driver.published("subscription.activated")
    assert event["data"]["agreement_version"] == purchase["version"]


async def test_R36_an_order_that_lapsed_lists_its_agreement_as_lapsed(service, clock):
    sid = await bought(service)
    clock.set(T0 + timedelta(days=91))
    await service.driver.fire_due()
    async with service.driver.client(ADA) as later:  # a token of the day
        assert (await later.get(f"/subscriptions/{sid}")).json()["status"] == "activation_expired"
        [lapsed] = (await later.get(f"/subscriptions/{sid}/agreements")).json()
    assert lapsed["status"] == "lapsed" and lapsed["accepted_at"] is None


async def test_R36_another_company_and_an_unknown_number_get_404(service):
    sid = await bought(service)
    token = issue_token(service.driver.runtime.settings.token_secret, EVE, T0, timedelta(minutes=10))
    as_eve = {"Authorization": f"Bearer {token}"}
    for path in ("/agreements", "/agreements/1", "/agreements/1/document"):
        theirs = await service.get(f"/subscriptions/{sid}{path}", headers=as_eve)
        unknown = await service.get(f"/subscriptions/{uuid.uuid4()}{path}", headers=as_eve)
        assert theirs.status_code == unknown.status_code == 404
        assert theirs.json()["code"] == unknown.json()["code"] == "subscription_not_found"
    missing = await service.get(f"/subscriptions/{sid}/agreements/7")
    assert (missing.status_code, missing.json()["code"]) == (404, "agreement_not_found")
    assert (await service.get(f"/subscriptions/{sid}/agreements/0")).status_code == 422
