"""How a product is used travels on the events that put a tier in force (issue 14): the
activation (R7, and a trial's conversion, R10), the trial's start (R10) and the tier change
(R12) carry `software`, the catalogue's links for the product with the modules and limits of
the tier in force, so that seats signs entitlements with them, lists them under "My software"
(R40) and sends them in the licence e-mail (R41) without reading the catalogue."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from contracts import testing
from contracts.subscriptions import SubscriptionActivated, TierChanged, TrialStarted
from contracts.values import BillingCycle, Contact, LicenceType, Software
from servicekit.http.auth import Caller
from subscriptions.domain import amendments, orders

from .conftest import ME, ORDERED

ADA = Caller(person_id="p-ada", account_id="a-1", email="ada@example.com", name="Ada Lovelace")
ADMIN = Contact(person_id="p-admin", email="admin@example.com", name="Ada", locale="fr")
DESIGNER_LINKS = {
    "kind": "desktop",
    "start_url": "https://designer.entitle.example/",
    "download_url": "https://downloads.entitle.example/designer/latest",
}


# -- the domain --------------------------------------------------------------------------------


def test_R7_the_activation_carries_the_software_of_the_tier_bought(ordered, designer):
    s = ordered(tier="premium")
    activated = s.activate(ME, ORDERED, designer)
    assert activated.software == designer.software_for("premium")
    assert activated.software.model_dump() == {
        **DESIGNER_LINKS,
        "modules": ["modelling", "drawings", "rendering", "collaboration"],
        "limits": {"projects": 500},
    }


def test_R7_a_node_locked_print_server_is_a_desktop_product_with_its_download(ordered, printserver):
    s = ordered(
        offer=printserver,
        product="printserver",
        tier="standard",
        licence_type=LicenceType.NODE_LOCKED,
        project_id="p-1",
    )
    software = s.activate(ME, ORDERED, printserver).software
    assert software is not None and software.kind == "desktop"
    assert (software.modules, software.limits) == (["printing"], {"printers": 10})
    assert software.download_url == "https://downloads.entitle.example/printserver/latest"


def test_R10_the_trial_and_its_conversion_carry_the_software_of_the_trial_tier(designer, an_order):
    s, started = orders.start_trial("t-1", "a-1", ADMIN, designer, LicenceType.FLOATING, ORDERED, had_trial=False)
    assert started.software == designer.software_for("premium")  # the trial's tier, not standard
    events = orders.convert_trial(
        s, ME, an_order(billing_cycle=BillingCycle.MONTHLY, quantity=2), designer, ORDERED, "http://p"
    )
    [activated] = [e for e in events if isinstance(e, SubscriptionActivated)]
    assert activated.software == designer.software_for("premium")


@pytest.mark.parametrize(("to", "projects"), [("premium_plus", 5000), ("standard", 50)], ids=["up", "down"])
def test_R12_a_tier_change_carries_the_software_of_the_new_tier(active, designer, to, projects):
    subscription = active(tier="premium")
    at = datetime(2026, 7, 5, 9, tzinfo=UTC)
    amendment, _ = amendments.propose_amendment(subscription, ME, "am-1", to, designer, at, None, "http://p")
    changed = amendments.accept_amendment(subscription, ME, amendment, designer, at)
    assert changed.software == designer.software_for(to)
    assert changed.software.limits == {"projects": projects}
    assert ("rendering" in changed.software.modules) is (to == "premium_plus")


def test_the_software_on_the_event_survives_the_wire(designer):
    """What seats reads back from the topic is what subscriptions put on it."""
    software = designer.software_for("premium_plus")
    assert Software.model_validate_json(software.model_dump_json()) == software
    for event_type in (SubscriptionActivated, TrialStarted, TierChanged):
        assert "software" in event_type.model_fields


# -- through the service (the handlers take the catalogue the service started with) -----------


@pytest.fixture
async def service(driver):
    async with driver.client(ADA) as http:
        http.driver = driver
        yield http


async def test_R7_R10_R12_every_event_putting_a_tier_in_force_is_published_with_its_software(service):
    bought = await service.post(
        "/subscriptions", json={"quantity": 2, "tier": "standard", "accept_terms_of_sale": True}
    )
    assert bought.status_code == 201, bought.text
    sid = bought.json()["id"]
    assert (await service.post(f"/subscriptions/{sid}/activation")).status_code == 200
    amendment = (await service.post(f"/subscriptions/{sid}/amendments", json={"tier": "premium_plus"})).json()
    changed = await service.post(f"/subscriptions/{sid}/amendments/{amendment['id']}/acceptance")
    assert changed.status_code == 200, changed.text
    trial = await service.post("/subscriptions/trials", json={"product": "designer", "licence_type": "floating"})
    assert trial.status_code == 201, trial.text
    converted = await service.post(
        f"/subscriptions/{trial.json()['id']}/conversion", json={"billing_cycle": "monthly", "quantity": 1}
    )
    assert converted.status_code == 200, converted.text

    activations = await service.driver.published("subscription.activated")
    [tier_changed] = await service.driver.published("subscription.tier_changed")
    [trial_started] = await service.driver.published("subscription.trial_started")
    limits = {e["data"]["subscription_id"]: e["data"]["software"]["limits"] for e in activations}
    assert limits == {sid: {"projects": 50}, trial.json()["id"]: {"projects": 500}}
    assert all({k: e["data"]["software"][k] for k in DESIGNER_LINKS} == DESIGNER_LINKS for e in activations)
    assert tier_changed["data"]["software"]["limits"] == {"projects": 5000}
    assert "api" in tier_changed["data"]["software"]["modules"]
    assert trial_started["data"]["software"]["modules"] == ["modelling", "drawings", "rendering", "collaboration"]


def test_the_copy_in_contracts_testing_is_the_packaged_catalogue_s(catalogue):
    """Other services' tests build events with `contracts.testing.catalogue_software`; this
    fails when that copy and catalogue.toml drift apart."""
    for code, product in catalogue.products.items():
        for tier in product.tiers:
            assert testing.catalogue_software(code, tier.code) == product.software_for(tier.code), (code, tier.code)
    assert testing.catalogue_software("designer", "gold") is None
