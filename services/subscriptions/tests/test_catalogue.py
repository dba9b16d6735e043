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
software = { kind = "desktop", start_url = "https://designer.example/", download_url = "https://designer.example/get" }

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


# -- how products are used (issue 14) ------------------------------------------------------------

WEB_APP = """
[products.planner]
name = "Planner"
currency = "EUR"
licence_types = ["named_user", "floating"]

[products.planner.software]
{software}

[[products.planner.tiers]]
code = "standard"
rank = 1
prices = {{ monthly = 1000, annual = 11000 }}
{tier}
"""
WEB = 'kind = "web"\nstart_url = "https://planner.example/app"'


def loaded(tmp_path, software: str = WEB, tier: str = ""):
    path = tmp_path / "catalogue.toml"
    path.write_text(WEB_APP.format(software=software, tier=tier))
    return load_catalogue(path)


def refusal(tmp_path, **parts) -> str:
    with pytest.raises(CatalogueError) as refused:
        loaded(tmp_path, **parts)
    return str(refused.value)


def test_a_web_product_has_a_start_url_and_a_tier_may_name_no_modules_nor_limits(tmp_path):
    software = loaded(tmp_path).product("planner").software_for("standard")
    assert software.model_dump() == {
        "kind": "web",
        "start_url": "https://planner.example/app",
        "download_url": None,
        "modules": [],
        "limits": {},
    }


def test_software_for_carries_the_products_links_with_the_modules_and_limits_of_the_tier(designer, printserver):
    premium = designer.software_for("premium")
    assert (premium.kind, premium.start_url, premium.download_url) == (
        "desktop",
        "https://designer.entitle.example/",
        "https://downloads.entitle.example/designer/latest",
    )
    assert premium.modules == ["modelling", "drawings", "rendering", "collaboration"]
    assert premium.limits == {"projects": 500}
    assert designer.software_for("standard").limits == {"projects": 50}
    assert designer.software_for("enterprise").limits == {}  # not capped
    server = printserver.software_for("standard")
    assert (server.kind, server.modules, server.limits) == ("desktop", ["printing"], {"printers": 10})
    assert server.download_url and server.download_url.startswith("https://")


def test_R9_software_for_an_unknown_tier_is_refused(designer):
    with pytest.raises(RuleViolation) as refused:
        designer.software_for("gold")
    assert (refused.value.code, refused.value.rule) == ("unknown_tier", "R9")


def test_every_packaged_product_says_how_it_is_used(catalogue):
    for product in catalogue.products.values():
        assert product.software.kind in ("web", "desktop")
        assert product.software.kind == "web" or product.software.download_url


@pytest.mark.parametrize(
    ("software", "where", "why"),
    [
        ('kind = "desktop"\nstart_url = "https://planner.example/"', "products.planner.software", "download_url"),
        (WEB + '\ndownload_url = "https://planner.example/get"', "products.planner.software", "download_url"),
        ('kind = "mobile"\nstart_url = "https://planner.example/"', "products.planner.software.kind", "web"),
        ('kind = "web"\nstart_url = "http://planner.example/"', "products.planner.software.start_url", "https"),
        ('kind = "web"\nstart_url = "javascript:alert(1)"', "products.planner.software.start_url", "https"),
        ('kind = "web"\nstart_url = "https:///no-host"', "products.planner.software.start_url", "https"),
        ('kind = "web"\nstart_url = "https://planner.example/a b"', "products.planner.software.start_url", "https"),
        ('kind = "web"\nstart_url = "https://planner.example/"\nicon = "x"', "products.planner.software.icon", ""),
        ('kind = "web"', "products.planner.software.start_url", "required"),
    ],
    ids=[
        "desktop-without-download",
        "web-with-download",
        "unknown-kind",
        "plain-http",
        "javascript",
        "no-host",
        "space",
        "unknown-key",
        "no-start-url",
    ],
)
def test_a_wrong_software_table_is_refused_naming_where(tmp_path, software, where, why):
    message = refusal(tmp_path, software=software)
    assert where in message and why in message


def test_a_product_without_a_software_table_is_refused(tmp_path):
    path = tmp_path / "catalogue.toml"
    path.write_text(WEB_APP.format(software="", tier="").replace("[products.planner.software]\n", ""))
    with pytest.raises(CatalogueError, match=r"products\.planner\.software: Field required"):
        load_catalogue(path)


@pytest.mark.parametrize(
    ("tier", "why"),
    [
        ("limits = { projects = -1 }", "greater than or equal to 0"),
        ('limits = { projects = "50" }', "integer"),
        ("limits = { projects = true }", "integer"),
        ('limits = { "Projects!" = 5 }', "limit 'Projects!'"),
        ('modules = ["rendering", "rendering"]', "module repeated: rendering"),
        ('modules = ["Rendering"]', "module 'Rendering'"),
    ],
    ids=["negative", "text", "boolean", "bad-limit-name", "repeated-module", "bad-module-name"],
)
def test_wrong_modules_or_limits_are_refused_naming_the_tier(tmp_path, tier, why):
    message = refusal(tmp_path, tier=tier)
    assert "products.planner.tiers[standard]" in message and why in message
