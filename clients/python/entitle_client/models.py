"""What the library answers: an access decision and a licence file."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path
from typing import Any

from entitle_client.leases import parse_time
from entitle_client.verify import Entitlement


@dataclass(frozen=True)
class Access:
    """May the product be used now, and how: the same structure online and offline.

    `offline` is True when Entitle could not be asked and the answer comes from an
    entitlement saved earlier: it holds until that entitlement's `not_after` (the grace),
    and `reason` says so in words a person understands.
    """

    product: str
    allowed: bool
    reason: str
    tier: str | None = None
    licence_type: str | None = None
    subscription_id: str | None = None
    modules: tuple[str, ...] = ()
    add_ons: tuple[str, ...] = ()
    limits: Mapping[str, Any] = field(default_factory=dict)
    not_after: datetime | None = None
    fallback: str | None = None
    entitlement: Entitlement | None = None
    offline: bool = False

    def has_module(self, module: str) -> bool:
        return self.allowed and module in self.modules

    def has_add_on(self, add_on: str) -> bool:
        return self.allowed and add_on in self.add_ons

    @classmethod
    def of_view(cls, product: str, view: Mapping[str, Any], entitlement: Entitlement | None) -> Access:
        """From seats' AccessView (`GET /access`)."""
        return cls(
            product=product,
            allowed=bool(view.get("allowed")),
            reason=str(view.get("reason") or ""),
            tier=view.get("tier"),
            licence_type=view.get("licence_type"),
            subscription_id=view.get("subscription_id"),
            modules=tuple(view.get("modules") or ()),
            add_ons=tuple(view.get("add_ons") or ()),
            limits=dict(view.get("limits") or {}),
            not_after=parse_time(view.get("not_after")),
            fallback=view.get("fallback"),
            entitlement=entitlement,
        )

    @classmethod
    def of_entitlement(cls, entitlement: Entitlement, reason: str, *, offline: bool) -> Access:
        """From a verified entitlement (offline: a saved one)."""
        return cls(
            product=entitlement.product,
            allowed=True,
            reason=reason,
            tier=entitlement.tier,
            licence_type=entitlement.licence_type,
            subscription_id=entitlement.subscription_id,
            modules=entitlement.modules,
            add_ons=entitlement.add_ons,
            limits=dict(entitlement.limits),
            not_after=entitlement.not_after,
            entitlement=entitlement,
            offline=offline,
        )

    @classmethod
    def denied(cls, product: str, reason: str, *, offline: bool) -> Access:
        return cls(product=product, allowed=False, reason=reason, offline=offline)


@dataclass(frozen=True)
class LicenceFile:
    """A node-locked licence file, verified, and where it is saved."""

    text: str
    entitlement: Entitlement
    path: Path | None = None

    @property
    def product(self) -> str:
        return self.entitlement.product

    @property
    def not_after(self) -> datetime:
        return self.entitlement.not_after
