"""`GET /catalogue` (R50): tiers, licence types and prices per cycle from the catalogue the
service started with, marking what the caller's company owns; a subscription's id only to
its administrator (R6), and whether a trial is still on offer (R10)."""

from __future__ import annotations

from servicekit.http.auth import Caller

ADA = Caller(person_id="p-ada", account_id="a-1", email="ada@example.com", name="Ada")
BOB = Caller(person_id="p-bob", account_id="a-1", email="bob@example.com", name="Bob")  # Ada's colleague
EVE = Caller(person_id="p-eve", account_id="a-eve", email="eve@example.com", name="Eve")


def product(catalogue: dict, code: str) -> dict:
    [found] = [p for p in catalogue["products"] if p["code"] == code]
    return found


async def test_R50_the_catalogue_lists_tiers_licence_types_prices_per_cycle_and_add_ons(driver):
    async with driver.client(ADA) as http:
        answer = await http.get("/catalogue")
    assert answer.status_code == 200, answer.text
    designer = product(answer.json(), "designer")
    assert (designer["name"], designer["currency"]) == ("Designer", "EUR")
    assert designer["licence_types"] == ["named_user", "floating", "node_locked"]
    assert [t["code"] for t in designer["tiers"]] == ["standard", "premium", "premium_plus", "enterprise"]
    assert designer["tiers"][0]["prices"] == {"monthly": 3300, "annual": 36500}
    assert designer["tiers"][3] == {  # R9
        "code": "enterprise",
        "rank": 4,
        "self_service": False,
        "prices": None,
        "modules": ["modelling", "drawings", "rendering", "collaboration", "api", "single_sign_on"],
        "limits": {},
    }
    assert designer["term_discount_percent"] == 10  # R11
    assert [a["code"] for a in designer["addons"]] == ["cloud_storage", "render_farm"]
    assert designer["trial"] == {"tier": "premium", "days": 30, "fallback_tier": "standard", "available": True}
    assert designer["owned"] == []
    printserver = product(answer.json(), "printserver")
    assert printserver["requires_approval"] is True and printserver["tier_changes"] == "upgrade_only"
    assert printserver["trial"] is None


async def test_R50_what_the_company_owns_is_marked_with_the_id_for_its_administrator_only(driver):
    async with driver.client(ADA) as ada:
        bought = await ada.post("/subscriptions", json={"quantity": 3, "tier": "premium", "accept_terms_of_sale": True})
        assert bought.status_code == 201, bought.text
        trial = await ada.post("/subscriptions/trials", json={"product": "designer", "licence_type": "floating"})
        assert trial.status_code == 201, trial.text
        mine = product((await ada.get("/catalogue")).json(), "designer")
    async with driver.client(BOB) as bob:
        colleague = product((await bob.get("/catalogue")).json(), "designer")
    async with driver.client(EVE) as eve:
        stranger = product((await eve.get("/catalogue")).json(), "designer")

    # Both ordered at the same instant (a fixed clock): then they come in id order.
    assert sorted(mine["owned"], key=lambda o: o["status"]) == [
        {
            "subscription_id": bought.json()["id"],
            "administered_by_you": True,
            "tier": "premium",
            "licence_type": "named_user",
            "status": "pending_activation",
        },
        {
            "subscription_id": trial.json()["id"],
            "administered_by_you": True,
            "tier": "premium",
            "licence_type": "floating",
            "status": "trialing",
        },
    ]
    assert [(o["subscription_id"], o["administered_by_you"], o["tier"]) for o in colleague["owned"]] == [
        (None, False, "premium"),
        (None, False, "premium"),
    ]
    assert mine["trial"]["available"] is colleague["trial"]["available"] is False  # R10: once per account
    assert stranger["owned"] == [] and stranger["trial"]["available"] is True


async def test_the_catalogue_needs_a_signed_in_caller(driver):
    async with driver.client() as http:
        assert (await http.get("/catalogue")).status_code == 401


async def test_the_catalogue_says_how_each_product_is_used_and_what_each_tier_unlocks(driver):
    """Issue 14: kind, start and download links per product; modules and limits per tier."""
    async with driver.client(ADA) as http:
        answer = (await http.get("/catalogue")).json()
    designer, printserver = product(answer, "designer"), product(answer, "printserver")
    assert designer["software"] == {
        "kind": "desktop",
        "start_url": "https://designer.entitle.example/",
        "download_url": "https://downloads.entitle.example/designer/latest",
    }
    assert printserver["software"]["kind"] == "desktop"
    assert printserver["software"]["download_url"].startswith("https://")
    standard, premium = designer["tiers"][:2]
    assert (standard["modules"], standard["limits"]) == (["modelling", "drawings"], {"projects": 50})
    assert set(standard["modules"]) < set(premium["modules"]) and premium["limits"] == {"projects": 500}
    assert [t["limits"] for t in printserver["tiers"]] == [{"printers": 10}, {"printers": 50}, {"printers": 250}]
