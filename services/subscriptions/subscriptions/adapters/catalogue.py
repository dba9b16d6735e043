"""What can be bought, for how much, and how it is used: `catalogue.toml` (beside this
module), or the operator's file named by `SUBSCRIPTIONS_CATALOGUE_FILE`, validated when the
service starts.

The lookups refuse what the catalogue does not offer (R9 tiers and licence types, R13
upgrade-only ladders, R10 trials, R20 add-ons); the prices of fixed terms follow
`domain.terms.fixed_term_price`. How a product is used (web or desktop, its start and
download links) and what each tier unlocks (modules, limits) travel on the events that put a
tier in force, as `contracts.values.Software` (`Product.software_for`, issue 14).
"""

from __future__ import annotations

import re
import tomllib
from datetime import datetime
from importlib import resources
from pathlib import Path
from typing import Annotated, Literal
from urllib.parse import urlsplit

from pydantic import AfterValidator, BaseModel, ConfigDict, Field, ValidationError, model_validator

from contracts.errors import Refusal, RuleViolation
from contracts.values import BillingCycle, LicenceType, Money, Software
from subscriptions.domain.terms import fixed_term_price


class CatalogueError(ValueError):
    """The catalogue file cannot be read or is wrong; the message says where."""


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid")


class CyclePrices(_Strict):
    """Minor units per term: per seat for a tier, flat per subscription for an add-on."""

    monthly: int = Field(ge=0)
    annual: int = Field(ge=0)


# A module or limit name: it reaches signed entitlements and product code, so it is a short
# identifier, not free text.
NAME = re.compile(r"^[a-z][a-z0-9_]{0,62}$")


def _https_url(value: str) -> str:
    """A link a person is sent to (R40, R41): https, a host, no spaces, bounded."""
    parts = urlsplit(value)
    if (
        parts.scheme != "https"
        or not parts.hostname
        or len(value) > 2000
        or any(c.isspace() or ord(c) < 32 or ord(c) == 127 for c in value)
    ):
        raise ValueError(f"{value!r} is not an https URL (https://host/...)")
    return value


HttpsUrl = Annotated[str, AfterValidator(_https_url)]


def _names(what: str, values: list[str]) -> list[str]:
    for value in values:
        if not NAME.match(value):
            raise ValueError(f"{what} {value!r} must be lower case letters, digits and _ (at most 63)")
    _unique(what, values)
    return values


class SoftwareTable(_Strict):
    """`[products.X.software]`: how the product is used. A web product opens at its start URL;
    a desktop product is installed from its download URL, and its start URL is its page."""

    kind: Literal["web", "desktop"]
    start_url: HttpsUrl
    download_url: HttpsUrl | None = None

    @model_validator(mode="after")
    def _download_for_desktop_only(self) -> SoftwareTable:
        if self.kind == "desktop" and self.download_url is None:
            raise ValueError("a desktop product needs download_url, where its installer is")
        if self.kind == "web" and self.download_url is not None:
            raise ValueError("a web product is opened at start_url; download_url is for desktop products")
        return self


class Tier(_Strict):
    code: str = Field(min_length=1)
    rank: int = Field(description="Position on the ladder; higher is an upgrade (R13).")
    self_service: bool = True
    prices: CyclePrices | None = None
    modules: list[str] = Field(default_factory=list, max_length=100, description="What the tier unlocks.")
    limits: dict[str, Annotated[int, Field(strict=True, ge=0)]] = Field(
        default_factory=dict, max_length=100, description="Caps of the tier, e.g. projects = 50; absent: none."
    )

    @model_validator(mode="after")
    def _valid(self) -> Tier:
        if self.self_service and self.prices is None:
            raise ValueError(f"tier {self.code!r} is self-service, so it needs prices for monthly and annual")
        _names("module", self.modules)
        _names("limit", list(self.limits))
        return self


class Trial(_Strict):
    tier: str
    days: int = Field(30, ge=1, le=90)
    fallback_tier: str


class Addon(_Strict):
    code: str = Field(min_length=1)
    name: str = Field(min_length=1)
    prices: CyclePrices


class Product(_Strict):
    code: str = ""
    name: str = Field(min_length=1)
    currency: str = Field(pattern=r"^[A-Z]{3}$")
    licence_types: list[LicenceType] = Field(min_length=1)
    software: SoftwareTable
    tiers: list[Tier] = Field(min_length=1)
    tier_changes: Literal["any", "upgrade_only"] = "any"
    requires_approval: bool = False
    approver_email: str | None = None
    trial: Trial | None = None
    term_discount_percent: int = Field(0, ge=0, le=100)
    addons: list[Addon] = []

    @model_validator(mode="after")
    def _consistent(self) -> Product:
        _unique("tier code", [t.code for t in self.tiers])
        _unique("tier rank", [t.rank for t in self.tiers])
        _unique("add-on code", [a.code for a in self.addons])
        if self.requires_approval and not self.approver_email:
            raise ValueError("requires_approval is true, so approver_email is required (R19)")
        if self.trial is not None:
            self._check_trial(self.trial)
        return self

    def _check_trial(self, trial: Trial) -> None:
        codes = {t.code: t for t in self.tiers}
        for field, code in (("trial.tier", trial.tier), ("trial.fallback_tier", trial.fallback_tier)):
            if code not in codes:
                raise ValueError(f"{field} {code!r} is not a tier of this product")
        if not codes[trial.tier].self_service:
            raise ValueError(f"trial.tier {trial.tier!r} is not self-service, so it cannot be converted")
        if self.requires_approval:
            raise ValueError("a product that requires approval cannot offer a trial")

    # -- lookups -------------------------------------------------------------------------
    def tier(self, code: str) -> Tier:
        for tier in self.tiers:
            if tier.code == code:
                return tier
        raise RuleViolation(
            "unknown_tier",
            f"{self.code} has no tier {code!r}; choose one of {', '.join(t.code for t in self.tiers)}.",
            rule="R9",
            refusal=Refusal.INVALID,
        )

    def orderable_tier(self, code: str) -> Tier:
        tier = self.tier(code)
        if not tier.self_service:
            raise RuleViolation(
                "not_self_service",
                f"{self.code}/{code} cannot be bought self-service; contact sales.",
                rule="R9",
                refusal=Refusal.FORBIDDEN,
            )
        return tier

    def check_licence_type(self, licence_type: LicenceType) -> None:
        if licence_type not in self.licence_types:
            raise RuleViolation(
                "licence_type_not_offered",
                f"{self.code} is sold as {', '.join(t.value for t in self.licence_types)}, not {licence_type.value}.",
                rule="R9",
                refusal=Refusal.INVALID,
            )

    def check_tier_change(self, from_code: str, to_code: str) -> Tier:
        """R9, R12, R13: the target must be sold self-service, differ, and not go down an
        upgrade-only ladder."""
        target = self.orderable_tier(to_code)
        if to_code == from_code:
            raise RuleViolation(
                "same_tier", f"The subscription is already on {to_code}.", rule="R12", refusal=Refusal.INVALID
            )
        if self.tier_changes == "upgrade_only" and target.rank < self.tier(from_code).rank:
            raise RuleViolation(
                "downgrade_not_allowed",
                f"{self.code} is software assurance: it can be upgraded, never "
                f"downgraded from {from_code} to {to_code}.",
                rule="R13",
                refusal=Refusal.FORBIDDEN,
            )
        return target

    def unit_price(
        self, tier_code: str, cycle: BillingCycle, term_start: datetime | None = None, term_end: datetime | None = None
    ) -> Money:
        """Price of one seat for one term; a fixed term needs its start and end."""
        prices = self.orderable_tier(tier_code).prices
        assert prices is not None, "a self-service tier has prices (checked when loaded)"
        return Money(amount_minor=self._per_term(prices, cycle, term_start, term_end), currency=self.currency)

    def addon(self, code: str) -> Addon:
        for addon in self.addons:
            if addon.code == code:
                return addon
        offered = ", ".join(a.code for a in self.addons) or "none"
        raise RuleViolation(
            "unknown_addon",
            f"{self.code} has no add-on {code!r} (offered: {offered}).",
            rule="R20",
            refusal=Refusal.INVALID,
        )

    def addon_price(self, code: str, cycle: BillingCycle, term_start: datetime, term_end: datetime) -> Money:
        """Flat price of the add-on for one whole term of the subscription."""
        return Money(
            amount_minor=self._per_term(self.addon(code).prices, cycle, term_start, term_end), currency=self.currency
        )

    def software_for(self, tier_code: str) -> Software:
        """How the product is used at a tier, as the events putting that tier in force carry it:
        the product's links with the tier's modules and limits."""
        tier = self.tier(tier_code)
        return Software(
            kind=self.software.kind,
            start_url=self.software.start_url,
            download_url=self.software.download_url,
            modules=list(tier.modules),
            limits=dict(tier.limits),
        )

    def trial_offer(self) -> Trial:
        if self.trial is None:
            raise RuleViolation("no_trial", f"{self.code} offers no trial.", rule="R10", refusal=Refusal.INVALID)
        return self.trial

    def _per_term(self, prices: CyclePrices, cycle: BillingCycle, start: datetime | None, end: datetime | None) -> int:
        if cycle is not BillingCycle.TERM:
            return prices.monthly if cycle is BillingCycle.MONTHLY else prices.annual
        assert start is not None and end is not None, "a fixed term is priced by its dates"
        return fixed_term_price(prices.annual, start, end, self.term_discount_percent)


class Catalogue(_Strict):
    products: dict[str, Product] = Field(min_length=1)

    @model_validator(mode="after")
    def _name_products(self) -> Catalogue:
        for code, product in self.products.items():
            product.code = code
        return self

    def product(self, code: str) -> Product:
        if code not in self.products:
            raise RuleViolation(
                "unknown_product",
                f"There is no product {code!r}; choose one of {', '.join(self.products)}.",
                rule="R9",
                refusal=Refusal.INVALID,
            )
        return self.products[code]


def load_catalogue(path: str | Path | None = None) -> Catalogue:
    """The packaged catalogue, or the file at `path`; CatalogueError names what is wrong."""
    where = str(path) if path else "the packaged catalogue.toml"
    try:
        text = (
            Path(path).read_text()
            if path
            else resources.files("subscriptions.adapters").joinpath("catalogue.toml").read_text()
        )
        raw = tomllib.loads(text)
    except (OSError, tomllib.TOMLDecodeError) as error:
        raise CatalogueError(f"Cannot read the catalogue {where}: {error}") from error
    try:
        return Catalogue.model_validate(raw)
    except ValidationError as error:
        problems = "; ".join(f"{_located(raw, e['loc'])}: {e['msg']}" for e in error.errors())
        raise CatalogueError(f"The catalogue {where} is not valid: {problems}") from error


def _located(raw: object, loc: tuple) -> str:
    """`products.designer.tiers[premium].prices.annual`: list items named by their code."""
    path, node = "", raw
    for part in loc:
        if isinstance(part, int) and isinstance(node, list) and part < len(node):
            node = node[part]
            label = node.get("code", part) if isinstance(node, dict) else part
            path += f"[{label}]"
            continue
        node = node.get(part) if isinstance(node, dict) else None
        path += f".{part}" if path else str(part)
    return path


def _unique(what: str, values: list) -> None:
    if duplicates := sorted({str(v) for v in values if values.count(v) > 1}):
        raise ValueError(f"{what} repeated: {', '.join(duplicates)}")
