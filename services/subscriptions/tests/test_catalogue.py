"""The catalogue file: packaged defaults, validation at start-up, and the rules it carries
(R9 tiers and licence types, R13 upgrade-only ladders)."""

import pytest

from contracts.errors import RuleViolation
from contracts.values import BillingCycle, LicenceType
from subscriptions.adapters.catalogue import CatalogueError, load_catalogue
from subscriptions.app import build
from subscriptions.settings import SubscriptionsSettings

BROKEN = """
[products.designer]
name = "Designer"
currency = "EUR"
licence_types = ["named_user"]

[[products.designer.tiers]]
code = "standard"
rank = 1
prices = { monthly = 3300, annual = 36500 }

[[products.designer.tiers]]
code = "premium"
rank = 2
prices = { monthly = 6500, annual = "a lot" }
"""


def test_the_packaged_catalogue_keeps_the_designer_prices(designer):
    prices = {t.code: (t.prices.annual, t.prices.monthly) for t in designer.tiers if t.prices}
    assert prices == {"standard": (36500, 3300), "premium": (73000, 6500), "premium_plus": (109500, 9800)}
    assert designer.trial.tier == "premium" and designer.trial.fallback_tier == "standard"


def test_a_broken_catalogue_is_refused_naming_product_tier_and_field(tmp_path):
    path = tmp_path / "catalogue.toml"
    path.write_text(BROKEN)
    with pytest.raises(CatalogueError) as refused:
        load_catalogue(path)
    assert "products.designer.tiers[premium].prices.annual" in str(refused.value)


def test_an_approval_product_needs_an_approver(tmp_path):
    path = tmp_path / "catalogue.toml"
    path.write_text(
        BROKEN.replace('"a lot"', "73000").replace('currency = "EUR"', 'currency = "EUR"\nrequires_approval = true')
    )
    with pytest.raises(CatalogueError) as refused:
        load_catalogue(path)
    assert "products.designer" in str(refused.value) and "approver_email" in str(refused.value)


def test_the_service_does_not_start_with_a_broken_catalogue(tmp_path):
    path = tmp_path / "catalogue.toml"
    path.write_text(BROKEN)
    with pytest.raises(CatalogueError, match=r"tiers\[premium\]\.prices\.annual"):
        build(SubscriptionsSettings(catalogue_file=str(path), var_dir=str(tmp_path)))


def test_R9_enterprise_plans_are_not_self_service(designer):
    with pytest.raises(RuleViolation) as refused:
        designer.unit_price("enterprise", BillingCycle.ANNUAL)
    assert (refused.value.rule, refused.value.code) == ("R9", "not_self_service")


def test_R9_a_licence_type_the_product_is_not_sold_as_is_refused(printserver):
    with pytest.raises(RuleViolation) as refused:
        printserver.check_licence_type(LicenceType.FLOATING)
    assert refused.value.rule == "R9"


def test_R9_unknown_products_and_tiers_are_refused(catalogue, designer):
    for lookup in (lambda: catalogue.product("painter"), lambda: designer.tier("gold")):
        with pytest.raises(RuleViolation) as refused:
            lookup()
        assert refused.value.rule == "R9"


def test_R13_software_assurance_goes_up_the_ladder_never_down(printserver, designer):
    assert printserver.check_tier_change("standard", "premium").code == "premium"
    assert printserver.check_tier_change("standard", "premium_plus").code == "premium_plus"
    with pytest.raises(RuleViolation) as refused:
        printserver.check_tier_change("premium_plus", "premium")
    assert refused.value.rule == "R13"
    assert designer.check_tier_change("premium_plus", "standard").code == "standard"  # "any"
