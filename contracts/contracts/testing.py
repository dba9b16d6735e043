"""Test support: a factory for every event (and the purchase command), with defaults that agree.

For Entitle's own tests and for downstream teams' tests. Pure: it needs only this package and
the standard library, so it can be imported anywhere (no pytest, no Kafka client).

Two ways in:

- `SubscriptionStory`: one subscription told event by event. Every method returns the next
  event *and remembers what it said* (administrator, tier, price, quantity, term, cycle, purchase
  details), so the next event agrees with it. Consumers check exactly that: an activation must
  match its purchase, a transfer must start from the administrator in office, a renewal must
  start where the term ends, a tier change must fall in the current term.
- Module-level functions, one per event type (`account_registered()`, `activated()`, ...):
  a one-off event of the default story. Keyword overrides are event fields, applied verbatim.
  For a *consistent* variant (5 seats, a monthly cycle), build a story instead; for a
  deliberately inconsistent one (a forged event), use `forged(event, field=...)`.

The defaults describe one customer: account `a-1` ("Acme"), administered by `ADA`, buying
subscription `s-1` of 2 seats of Designer Standard, annual, named-user, at the packaged
catalogue's price, ordered and activated at `T0`. `BOB` is the colleague an administration is
transferred to; `UMA` is a seat user. The plan has the shape of docs/lifecycle.md's worked example
(2 seats, an annual term from 2026-01-05; `tier="premium"` makes it that example), so amounts
checked by hand there can be checked here.
"""

from __future__ import annotations

import base64
import calendar
import hashlib
import uuid
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime, time, timedelta
from fractions import Fraction
from typing import Any
from urllib.parse import quote

from contracts import billing, identity, notifications, seats, subscriptions
from contracts.envelope import Envelope, Event
from contracts.parties import AccountBillingDetails, PostalAddress
from contracts.proration import days_between, prorated_amount, round_half_up
from contracts.registry import EVENT_TYPES, topic_for
from contracts.values import BillingCycle, Contact, LicenceType, Money, Software

# --- who, what, when ---------------------------------------------------------------------------

T0 = datetime(2026, 1, 5, 9, 0, tzinfo=UTC)
"""Default time of everything: a Monday morning, UTC, the start of docs/lifecycle.md's worked
example. Fixed, so expected dates and prorated amounts can be written down in tests."""

SUBSCRIPTION_ID = "s-1"
ACCOUNT_ID = "a-1"
COMPANY_NAME = "Acme"
PRODUCT = "designer"
"""The packaged catalogue's self-service product with every licence type and a trial (R9, R10)."""
CURRENCY = "EUR"
"""The catalogue prices every product in euros."""

PORTAL_URL = "https://portal.example.com"
IDENTITY_URL = "https://id.example.com"
BILLING_URL = "https://billing.example.com"


def contact(name: str, **overrides: Any) -> Contact:
    """A person named `name`: id `p-<name>`, address `<name>@example.com`, English.

    `example.com` is reserved for examples (RFC 2606): no test can mail a real person."""
    slug = name.lower()
    return Contact(**{"person_id": f"p-{slug}", "email": f"{slug}@example.com", "name": name, **overrides})


ADA = contact("Ada")
"""The default administrator: she registers the account, buys, and accepts the agreement."""
BOB = contact("Bob")
"""Ada's colleague: the default new administrator of a transfer and the default added contact."""
UMA = Contact(person_id="u-uma", email="uma@example.com", name="Uma")
"""The default seat user. Her id is a seat user's id (`u-`), as seats knows a user who was
invited and may not have registered yet; she is never an administrator."""


def eur(minor: int) -> Money:
    """`minor` euro cents: `eur(36500)` is 365.00 EUR."""
    return Money(amount_minor=minor, currency=CURRENCY)


# --- prices, as the packaged catalogue has them -------------------------------------------------
# A copy of services/subscriptions/subscriptions/adapters/catalogue.toml (contracts cannot read a service's
# files once installed elsewhere); contracts/tests/test_testing.py fails when the two drift apart.

_TIER_PRICES: dict[str, dict[str, tuple[int, int]]] = {  # product -> tier -> (monthly, annual)
    "designer": {"standard": (3300, 36500), "premium": (6500, 73000), "premium_plus": (9800, 109500)},
    "printserver": {"standard": (2500, 27500), "premium": (4500, 49500), "premium_plus": (7000, 77000)},
}
_ADDON_PRICES: dict[str, dict[str, tuple[int, int]]] = {
    "designer": {"cloud_storage": (1500, 16500), "render_farm": (4000, 44000)},
}
_TERM_DISCOUNT_PERCENT = {"designer": 10, "printserver": 15}
_TRIALS = {"designer": ("premium", 30, "standard")}  # product -> (tier, days, fallback tier)
# How each product is used (issue 14): product -> (kind, start_url, download_url), and
# product -> tier -> (modules, limits). Compared with catalogue.toml by the subscriptions tests.
_SOFTWARE_LINKS = {
    "designer": (
        "desktop",
        "https://designer.entitle.example/",
        "https://downloads.entitle.example/designer/latest",
    ),
    "printserver": (
        "desktop",
        "https://printserver.entitle.example/",
        "https://downloads.entitle.example/printserver/latest",
    ),
}
_DESIGNER_MODULES = ["modelling", "drawings", "rendering", "collaboration", "api", "single_sign_on"]
_PRINTSERVER_MODULES = ["printing", "scanning", "accounting"]
_TIER_SOFTWARE: dict[str, dict[str, tuple[list[str], dict[str, int]]]] = {
    "designer": {
        "standard": (_DESIGNER_MODULES[:2], {"projects": 50}),
        "premium": (_DESIGNER_MODULES[:4], {"projects": 500}),
        "premium_plus": (_DESIGNER_MODULES[:5], {"projects": 5000}),
        "enterprise": (_DESIGNER_MODULES, {}),
    },
    "printserver": {
        "standard": (_PRINTSERVER_MODULES[:1], {"printers": 10}),
        "premium": (_PRINTSERVER_MODULES[:2], {"printers": 50}),
        "premium_plus": (_PRINTSERVER_MODULES, {"printers": 250}),
    },
}

ACTIVATION_WINDOW = timedelta(days=90)  # R8
GRACE_PERIOD = timedelta(days=10)  # R15
DOCUMENTS_WINDOW = timedelta(days=60)  # R3
VERIFICATION_LINK_LIFETIME = timedelta(hours=48)
PASSWORD_RESET_LIFETIME = timedelta(hours=1)
TERMS_VERSION = "2026-01"


def add_months(moment: datetime, months: int) -> datetime:
    """Same day-of-month `months` later, clamped to the month's end, as the subscriptions service
    computes a term end (31 Jan + 1 month = 28/29 Feb)."""
    index = moment.month - 1 + months
    year, month = moment.year + index // 12, index % 12 + 1
    return moment.replace(year=year, month=month, day=min(moment.day, calendar.monthrange(year, month)[1]))


def _term_price(annual: int, product: str, start: datetime, end: datetime) -> int:
    """R11: the annual price for the days of a fixed term, less the product's discount beyond
    12 months; rounded once, half up."""
    discount = _TERM_DISCOUNT_PERCENT.get(product, 0) if end > add_months(start, 12) else 0
    return round_half_up(Fraction(annual * days_between(start, end), 365) * Fraction(100 - discount, 100))


def _price(
    table: dict[str, dict[str, tuple[int, int]]],
    product: str,
    code: str,
    cycle: BillingCycle,
    term_start: datetime | None,
    term_end: datetime | None,
) -> Money:
    try:
        monthly, annual = table[product][code]
    except KeyError:
        raise ValueError(f"no catalogue price for {product} {code}: pass the price explicitly") from None
    if cycle is BillingCycle.MONTHLY:
        return eur(monthly)
    if cycle is BillingCycle.ANNUAL:
        return eur(annual)
    if term_start is None or term_end is None:
        raise ValueError("a fixed term is priced by its days: give term_start and term_end")
    return eur(_term_price(annual, product, term_start, term_end))


def list_price(
    product: str, tier: str, cycle: BillingCycle, term_start: datetime | None = None, term_end: datetime | None = None
) -> Money:
    """One seat for one term, as the packaged catalogue prices it (a fixed term by its days).
    Raises ValueError for a product or tier it does not sell (enterprise, a made-up product)."""
    return _price(_TIER_PRICES, product, tier, cycle, term_start, term_end)


def catalogue_software(product: str, tier: str) -> Software | None:
    """How `product` is used at `tier`, as the packaged catalogue says and as subscriptions puts
    it on the events that put a tier in force (`software=`); None for a product or tier the
    copy does not know. The factories leave `software` out (older events) unless given."""
    if product not in _SOFTWARE_LINKS or tier not in _TIER_SOFTWARE.get(product, {}):
        return None
    kind, start_url, download_url = _SOFTWARE_LINKS[product]
    modules, limits = _TIER_SOFTWARE[product][tier]
    return Software(
        kind=kind, start_url=start_url, download_url=download_url, modules=list(modules), limits=dict(limits)
    )


def addon_price(
    product: str, addon: str, cycle: BillingCycle, term_start: datetime | None = None, term_end: datetime | None = None
) -> Money:
    """One add-on for one whole term, as the packaged catalogue prices it (R20)."""
    return _price(_ADDON_PRICES, product, addon, cycle, term_start, term_end)


def _format_money(money: Money) -> str:
    units, cents = divmod(abs(money.amount_minor), 100)
    return f"{'-' if money.amount_minor < 0 else ''}{units}.{cents:02d} {money.currency}"


def _stand_in_id(*parts: object) -> str:
    """A deterministic id where an envelope id belongs (`caused_by`): the same story gives the same
    ids on every run, so a failing test prints the same thing twice."""
    return str(uuid.uuid5(uuid.NAMESPACE_URL, "entitle:testing:" + ":".join(map(str, parts))))


def _id_of(cause: Envelope | str | None, *fallback: object) -> str:
    if isinstance(cause, Envelope):
        return cause.id
    return cause if cause is not None else _stand_in_id(*fallback)


# --- the story ----------------------------------------------------------------------------------


@dataclass
class SubscriptionStory:
    """One subscription, event by event, each event agreeing with the ones before.

    The constructor says what was bought; each method returns the next event and remembers what
    it said about what changes (administrator, tier, price, quantity, term, cycle, purchase
    details, add-ons, seat users). Its identity (subscription, account, product, licence type)
    never changes. Keyword overrides of a method are event fields: applied verbatim, and
    remembered like the defaults (`renewed(unit_price=eur(80000))` renews at that price and a
    later tier change credits it). To forge an event without changing the story, use `forged`.

    Times: each method takes `at`; without it the event happens at `now`, the time of the
    previous event (`start` at first), except where the rules fix the time (a renewal at the
    term end, a lapsed trial at its end). `advance(days=...)` moves `now` on.

    Defaults:
    - `unit_price`: the catalogue's price of the tier and cycle (see `list_price`), so the
      event matches what the subscriptions service would publish; give one for another
      product or to test an odd amount.
    - `term_ends_on`: a fixed term (`BillingCycle.TERM`) ends at 00:00 UTC six months after
      `start`, well inside R11's 30 days to 5 years. Ignored for other cycles.
    - the first term runs from `start` for one cycle, and starts again wherever `activated`
      happens.
    """

    subscription_id: str = SUBSCRIPTION_ID
    account_id: str = ACCOUNT_ID
    administrator: Contact = ADA
    product: str = PRODUCT
    tier: str = "standard"
    licence_type: LicenceType = LicenceType.NAMED_USER
    billing_cycle: BillingCycle = BillingCycle.ANNUAL
    quantity: int = 2
    unit_price: Money | None = None
    start: datetime = T0
    term_ends_on: datetime | None = None
    po_number: str | None = None
    payment_method: str | None = None
    project_id: str | None = None

    # Remembered from the events told so far, so that the next event agrees with them.
    now: datetime = field(init=False)
    ordered_at: datetime = field(init=False)
    activated_at: datetime | None = field(init=False, default=None)
    term_start: datetime = field(init=False)
    term_end: datetime = field(init=False)
    scheduled_cycle: BillingCycle | None = field(init=False, default=None)
    next_payment_method: str | None = field(init=False, default=None)
    trial_ends_at: datetime | None = field(init=False, default=None)
    ended_at: datetime | None = field(init=False, default=None)
    administrators: list[Contact] = field(init=False, default_factory=list)
    addons: dict[str, Money] = field(init=False, default_factory=dict)
    users: dict[str, Contact] = field(init=False, default_factory=dict)
    history: list[Event] = field(init=False, default_factory=list, repr=False)
    _pending_amendment: subscriptions.AmendmentProposed | None = field(init=False, default=None, repr=False)
    _last_quantity_change: seats.SeatQuantityChanged | None = field(init=False, default=None, repr=False)
    _counters: dict[str, int] = field(init=False, default_factory=dict, repr=False)

    def __post_init__(self) -> None:
        if self.billing_cycle is BillingCycle.TERM and self.term_ends_on is None:
            self.term_ends_on = datetime.combine(add_months(self.start, 6).date(), time(0), tzinfo=UTC)
        self.now = self.ordered_at = self.term_start = self.start
        self.term_end = self._first_term_end(self.start)
        if self.unit_price is None:
            self.unit_price = self._catalogue_price(self.tier, self.billing_cycle, self.term_start, self.term_end)
        self.administrators = [self.administrator]

    # -- bookkeeping ------------------------------------------------------------------------------
    def advance(self, **delta: float) -> SubscriptionStory:
        """Moves `now` on by `timedelta(**delta)`; returns the story, to chain."""
        self.now += timedelta(**delta)
        return self

    def _when(self, at: datetime | None) -> datetime:
        return self.now if at is None else at

    def _told(self, event: Event, at: datetime) -> Any:
        self.history.append(event)
        self.now = at
        return event

    def _next(self, prefix: str) -> str:
        self._counters[prefix] = self._counters.get(prefix, 0) + 1
        return f"{prefix}-{self._counters[prefix]}"

    def _first_term_end(self, start: datetime) -> datetime:
        if self.billing_cycle is BillingCycle.TERM:
            assert self.term_ends_on is not None
            return self.term_ends_on
        return add_months(start, 12 if self.billing_cycle is BillingCycle.ANNUAL else 1)

    def _catalogue_price(self, tier: str, cycle: BillingCycle, start: datetime, end: datetime) -> Money:
        return list_price(self.product, tier, cycle, start, end)

    def _same(self) -> dict[str, Any]:
        return {"subscription_id": self.subscription_id, "account_id": self.account_id}

    @property
    def price(self) -> Money:
        """The unit price in force (always set once the story is built)."""
        assert self.unit_price is not None
        return self.unit_price

    # -- ordering and activation (R7, R8, R19) ----------------------------------------------------
    def purchase_subscription(self, **overrides: Any) -> subscriptions.PurchaseSubscription:
        """The shop's command that places this story's order: same ids, people and plan.
        It is a request, not a fact: the story does not change."""
        return subscriptions.PurchaseSubscription(
            **{
                **self._same(),
                "administrator": self.administrator,
                "product": self.product,
                "tier": self.tier,
                "licence_type": self.licence_type,
                "billing_cycle": self.billing_cycle,
                "quantity": self.quantity,
                **overrides,
            }
        )

    def order_awaiting_approval(
        self, at: datetime | None = None, **overrides: Any
    ) -> subscriptions.OrderAwaitingApproval:
        """A reseller order (R19): the administrator is the reseller who placed it, the project
        `proj-1` (or the story's), the approver `approver@example.com`. The story's project is
        remembered, so the purchase that follows an approval names it."""
        at = self._when(at)
        event = subscriptions.OrderAwaitingApproval(
            **{
                **self._same(),
                "project_id": self.project_id or "proj-1",
                "reseller": self.administrator,
                "approver_email": "approver@example.com",
                "product": self.product,
                "tier": self.tier,
                "quantity": self.quantity,
                "ordered_at": at,
                **overrides,
            }
        )
        self.project_id, self.administrator, self.ordered_at = event.project_id, event.reseller, at
        self._administered_by(event.reseller)
        return self._told(event, at)

    def order_decided(
        self, approved: bool = True, at: datetime | None = None, **overrides: Any
    ) -> subscriptions.OrderDecided:
        """The approver's decision on the reseller order; approved by default, so the story goes on."""
        at = self._when(at)
        event = subscriptions.OrderDecided(
            **{
                **self._same(),
                "project_id": self.project_id or "proj-1",
                "approved": approved,
                "decided_at": at,
                **overrides,
            }
        )
        return self._told(event, at)

    def purchased(self, at: datetime | None = None, **overrides: Any) -> subscriptions.SubscriptionPurchased:
        """The order (R7). Ordered `at` (now); the agreement must be accepted within 90 days (R8),
        or by the end of a fixed term if sooner; its page is on the portal. `converts_trial` is
        True when a trial of this story is running (R10), as the subscriptions service says."""
        at = self._when(at)
        converting = self.trial_ends_at is not None and self.ended_at is None
        deadline = at + ACTIVATION_WINDOW
        if self.billing_cycle is BillingCycle.TERM and self.term_ends_on is not None:
            deadline = min(deadline, self.term_ends_on)
        event = subscriptions.SubscriptionPurchased(
            **{
                **self._same(),
                "administrator": self.administrator,
                "product": self.product,
                "tier": self.tier,
                "licence_type": self.licence_type,
                "billing_cycle": self.billing_cycle,
                "quantity": self.quantity,
                "unit_price": self.price,
                "ordered_at": at,
                "activation_deadline": deadline,
                "agreement_url": f"{PORTAL_URL}/subscriptions/{self.subscription_id}/agreement",
                "term_ends_on": self.term_ends_on if self.billing_cycle is BillingCycle.TERM else None,
                "po_number": self.po_number,
                "project_id": self.project_id,
                "converts_trial": converting,
                **overrides,
            }
        )
        self.ordered_at = event.ordered_at
        self._plan_from(event)
        return self._told(event, event.ordered_at)

    def activated(self, at: datetime | None = None, **overrides: Any) -> subscriptions.SubscriptionActivated:
        """The administrator accepted the agreement `at` (now): the first term starts then and
        runs one cycle (to the chosen end for a fixed term). Everything bought is as purchased:
        account, administrator, product, tier, licence type, cycle, quantity, unit price, PO."""
        at = overrides.get("activated_at", self._when(at))
        event = subscriptions.SubscriptionActivated(
            **{
                **self._same(),
                "administrator": self.administrator,
                "licence_type": self.licence_type,
                "billing_cycle": self.billing_cycle,
                "quantity": self.quantity,
                "unit_price": self.price,
                "activated_at": at,
                "term_start": at,
                "term_end": self._first_term_end(at),
                "product": self.product,
                "tier": self.tier,
                "po_number": self.po_number,
                "payment_method": self.payment_method,
                **overrides,
            }
        )
        self.activated_at, self.trial_ends_at = event.activated_at, None
        self.term_start, self.term_end = event.term_start, event.term_end
        self._plan_from(event)
        return self._told(event, event.activated_at)

    def bought(self, at: datetime | None = None) -> list[Event]:
        """`[purchased(), activated()]` at the same instant: a subscription that runs."""
        return [self.purchased(at), self.activated(at)]

    def activation_expired(self, at: datetime | None = None, **overrides: Any) -> subscriptions.ActivationExpired:
        """The order lapsed unaccepted (R8), at its activation deadline by default."""
        deadline = self.ordered_at + ACTIVATION_WINDOW
        at = deadline if at is None else at
        event = subscriptions.ActivationExpired(
            **{**self._same(), "ordered_at": self.ordered_at, "expired_at": at, **overrides}
        )
        self.ended_at = event.expired_at
        return self._told(event, event.expired_at)

    def _plan_from(self, event: Any) -> None:
        self.administrator, self.quantity, self.unit_price = event.administrator, event.quantity, event.unit_price
        self.tier = event.tier or self.tier
        self.billing_cycle, self.po_number = event.billing_cycle, event.po_number
        self._administered_by(event.administrator)

    def _administered_by(self, person: Contact) -> None:
        if person not in self.administrators:
            self.administrators.append(person)

    # -- trials (R10) -----------------------------------------------------------------------------
    def trial_started(self, at: datetime | None = None, **overrides: Any) -> subscriptions.TrialStarted:
        """A free trial `at` (now) of the product's trial tier (Designer: premium) for 30 days.
        The story's tier becomes the trial's, repriced from the catalogue, so the purchase that
        converts it buys that tier (R10)."""
        at = self._when(at)
        tier, days, _ = _TRIALS.get(self.product, (self.tier, 30, "standard"))
        event = subscriptions.TrialStarted(
            **{
                **self._same(),
                "administrator": self.administrator,
                "product": self.product,
                "tier": tier,
                "licence_type": self.licence_type,
                "started_at": at,
                "ends_at": at + timedelta(days=days),
                **overrides,
            }
        )
        if event.tier != self.tier:
            self.tier, self.unit_price = event.tier, self._repriced(event.tier, self.billing_cycle)
        self.trial_ends_at = event.ends_at
        return self._told(event, event.started_at)

    def trial_ended(
        self, outcome: str = "fallback", at: datetime | None = None, **overrides: Any
    ) -> subscriptions.TrialEnded:
        """The trial ended: `fallback` (default) at its end, its users back on the product's free
        tier (Designer: standard); `converted` now, when the converting purchase was made."""
        fallback_tier = _TRIALS.get(self.product, ("", 30, "standard"))[2]
        if at is None:
            at = self.trial_ends_at if outcome == "fallback" and self.trial_ends_at else self.now
        event = subscriptions.TrialEnded(
            **{
                **self._same(),
                "administrator": self.administrator,
                "outcome": outcome,
                "fallback_tier": fallback_tier if outcome == "fallback" else None,
                "ended_at": at,
                **overrides,
            }
        )
        self.trial_ends_at = None
        return self._told(event, event.ended_at)

    def _repriced(self, tier: str, cycle: BillingCycle) -> Money:
        try:
            return self._catalogue_price(tier, cycle, self.term_start, self.term_end)
        except ValueError:
            return self.price  # a product the catalogue copy does not know: keep the given price

    # -- changes during a term (R12, R16, R17, R18, R20) ---------------------------------------------
    def _tier_above(self) -> str:
        ladder = list(_TIER_PRICES.get(self.product, {}))
        if self.tier in ladder and ladder.index(self.tier) + 1 < len(ladder):
            return ladder[ladder.index(self.tier) + 1]
        raise ValueError(f"no tier above {self.tier} for {self.product}: say which tier with to=")

    def _quote(self, quantity: int, old: Money, new: Money, at: datetime) -> tuple[Money, Money]:
        days_in_term = days_between(self.term_start, self.term_end)
        left = min(days_between(at, self.term_end), days_in_term)
        credit = -prorated_amount(quantity, old.amount_minor, left, days_in_term)
        charge = prorated_amount(quantity, new.amount_minor, left, days_in_term)
        return Money(amount_minor=credit, currency=old.currency), Money(amount_minor=charge, currency=new.currency)

    def amendment_proposed(
        self, to: str | None = None, at: datetime | None = None, **overrides: Any
    ) -> subscriptions.AmendmentProposed:
        """A tier change awaiting the administrator (R12): to the next tier up by default, at the
        catalogue's price; the quotes prorate both prices over what is left of the term, as
        billing will (docs/lifecycle.md). `tier_changed()` then accepts this amendment."""
        at = self._when(at)
        to = to or overrides.get("to_tier") or self._tier_above()
        new_price = overrides.get("new_unit_price") or self._repriced(to, self.billing_cycle)
        credit, charge = self._quote(self.quantity, self.price, new_price, at)
        amendment_id = self._next("am")
        event = subscriptions.AmendmentProposed(
            **{
                "amendment_id": amendment_id,
                **self._same(),
                "administrator": self.administrator,
                "from_tier": self.tier,
                "to_tier": to,
                "new_unit_price": new_price,
                "quoted_credit": credit,
                "quoted_charge": charge,
                "proposed_at": at,
                "accept_url": f"{PORTAL_URL}/subscriptions/{self.subscription_id}/amendments/{amendment_id}",
                **overrides,
            }
        )
        self._pending_amendment = event
        return self._told(event, event.proposed_at)

    def tier_changed(
        self, to: str | None = None, at: datetime | None = None, **overrides: Any
    ) -> subscriptions.TierChanged:
        """The amendment accepted `at` (now): the pending one if any, else a change to the next tier
        up (or `to`) at the catalogue's price. From the tier and price in force, for the seats in
        force, within the current term (R12)."""
        at = overrides.get("effective_at", self._when(at))
        pending = self._pending_amendment
        to = to or overrides.get("to_tier") or (pending.to_tier if pending else self._tier_above())
        if pending is not None and pending.to_tier == to:
            amendment_id, new_price = pending.amendment_id, pending.new_unit_price
        else:
            amendment_id, new_price = self._next("am"), self._repriced(to, self.billing_cycle)
        event = subscriptions.TierChanged(
            **{
                "amendment_id": amendment_id,
                **self._same(),
                "billing_cycle": self.billing_cycle,
                "from_tier": self.tier,
                "to_tier": to,
                "previous_unit_price": self.price,
                "new_unit_price": new_price,
                "quantity": self.quantity,
                "effective_at": at,
                "term_start": self.term_start,
                "term_end": self.term_end,
                **overrides,
            }
        )
        self.tier, self.unit_price, self._pending_amendment = event.to_tier, event.new_unit_price, None
        return self._told(event, event.effective_at)

    def billing_cycle_change_scheduled(
        self, to: BillingCycle | None = None, at: datetime | None = None, **overrides: Any
    ) -> subscriptions.BillingCycleChangeScheduled:
        """A cycle change (R16), annual to monthly by default (monthly to annual otherwise),
        taking effect at the term end, where the next `renewed()` applies it."""
        at = self._when(at)
        if to is None:
            to = BillingCycle.MONTHLY if self.billing_cycle is BillingCycle.ANNUAL else BillingCycle.ANNUAL
        event = subscriptions.BillingCycleChangeScheduled(
            **{
                **self._same(),
                "from_cycle": self.billing_cycle,
                "to_cycle": to,
                "requested_at": at,
                "effective_at": self.term_end,
                **overrides,
            }
        )
        self.scheduled_cycle = event.to_cycle
        return self._told(event, event.requested_at)

    def administrator_transferred(
        self, to: Contact | None = None, at: datetime | None = None, **overrides: Any
    ) -> subscriptions.AdministratorTransferred:
        """Administration moves `at` (now) from the administrator in office to `to` (BOB, or ADA
        when BOB is in office) (R17). The story's administrator becomes `to`: later events name
        them, and the next transfer starts from them."""
        at = self._when(at)
        if to is None:
            to = BOB if self.administrator != BOB else ADA
        event = subscriptions.AdministratorTransferred(
            **{
                **self._same(),
                "previous_administrator": self.administrator,
                "new_administrator": to,
                "transferred_at": at,
                **overrides,
            }
        )
        self.administrator = event.new_administrator
        self._administered_by(event.new_administrator)
        return self._told(event, event.transferred_at)

    def purchase_details_changed(
        self, at: datetime | None = None, **overrides: Any
    ) -> subscriptions.PurchaseDetailsChanged:
        """New purchase details (R18): PO `PO-2026-001`, in force at once, and the payment method
        `Visa ending 4242` (a label, never a card number), used from the next renewal."""
        at = self._when(at)
        event = subscriptions.PurchaseDetailsChanged(
            **{
                **self._same(),
                "po_number": "PO-2026-001",
                "payment_method": "Visa ending 4242",
                "changed_at": at,
                **overrides,
            }
        )
        self.po_number, self.next_payment_method = event.po_number, event.payment_method
        return self._told(event, event.changed_at)

    def addon_added(
        self, addon: str = "render_farm", at: datetime | None = None, **overrides: Any
    ) -> subscriptions.AddonAdded:
        """An add-on (R20) added `at` (now) for the rest of the current term, at the catalogue's
        price for a whole term of the cycle; it renews with the subscription."""
        at = self._when(at)
        try:
            price = addon_price(self.product, addon, self.billing_cycle, self.term_start, self.term_end)
        except ValueError:
            price = eur(12000)  # an add-on the catalogue copy does not know: a round figure
        event = subscriptions.AddonAdded(
            **{
                **self._same(),
                "addon": addon,
                "unit_price": price,
                "effective_at": at,
                "term_start": self.term_start,
                "term_end": self.term_end,
                **overrides,
            }
        )
        self.addons[event.addon] = event.unit_price
        return self._told(event, event.effective_at)

    # -- the end of a term (R11, R14, R15) --------------------------------------------------------
    def renewed(
        self, how: str = "automatic", at: datetime | None = None, **overrides: Any
    ) -> subscriptions.SubscriptionRenewed:
        """The next term, starting where the current one ends, for one cycle: the scheduled cycle
        if one was scheduled (R16), repriced from the catalogue then; otherwise at the price in
        force. A fixed term is extended by as long as it ran. Renewed at the term end
        (`automatic`) or `at`/now if later (`renewed_in_grace`, R15). A payment method changed
        since applies from here (R18); add-ons renew at their price (R20)."""
        start = overrides.get("term_start", self.term_end)
        cycle = self.scheduled_cycle or self.billing_cycle
        if cycle is BillingCycle.TERM:
            end = start + (self.term_end - self.term_start)
        else:
            end = add_months(start, 12 if cycle is BillingCycle.ANNUAL else 1)
        end = overrides.get("term_end", end)
        changed = cycle is not self.billing_cycle or cycle is BillingCycle.TERM
        price = self._repriced_over(self.tier, cycle, start, end) if changed else self.price
        at = at if at is not None else (start if how == "automatic" else max(self.now, start))
        event = subscriptions.SubscriptionRenewed(
            **{
                **self._same(),
                "administrator": self.administrator,
                "product": self.product,
                "tier": self.tier,
                "billing_cycle": cycle,
                "unit_price": price,
                "term_start": start,
                "term_end": end,
                "renewed_at": at,
                "how": how,
                "po_number": self.po_number,
                "payment_method": self.next_payment_method or self.payment_method,
                "addons": [subscriptions.AddonInTerm(addon=code, unit_price=p) for code, p in self.addons.items()],
                **overrides,
            }
        )
        self.term_start, self.term_end = event.term_start, event.term_end
        self.billing_cycle, self.unit_price, self.tier = event.billing_cycle, event.unit_price, event.tier
        self.payment_method, self.po_number = event.payment_method, event.po_number
        self.scheduled_cycle = self.next_payment_method = None
        return self._told(event, event.renewed_at)

    def _repriced_over(self, tier: str, cycle: BillingCycle, start: datetime, end: datetime) -> Money:
        try:
            return self._catalogue_price(tier, cycle, start, end)
        except ValueError:
            return self.price

    def grace_started(self, **overrides: Any) -> subscriptions.GraceStarted:
        """The term ended unrenewed (R15, R48): grace from the term end for 10 days, `cancelled`
        when a cancellation was scheduled for that end (R28 revokes the seats at once)."""
        event = subscriptions.GraceStarted(
            **{
                **self._same(),
                "administrator": self.administrator,
                "term_end": self.term_end,
                "grace_ends_at": self.term_end + GRACE_PERIOD,
                "cancelled": any(isinstance(e, subscriptions.CancellationScheduled) for e in self.history)
                and not isinstance(self.history[-1], subscriptions.CancellationWithdrawn),
                **overrides,
            }
        )
        return self._told(event, event.term_end)

    def cancellation_scheduled(
        self, reason: str = "Budget cut", at: datetime | None = None, **overrides: Any
    ) -> subscriptions.CancellationScheduled:
        """A cancellation `at` (now), effective at the term end (R14). (The service accepts an
        annual one only in the last month; this factory does not check rules.)"""
        at = self._when(at)
        event = subscriptions.CancellationScheduled(
            **{
                **self._same(),
                "administrator": self.administrator,
                "reason": reason,
                "requested_at": at,
                "effective_at": self.term_end,
                **overrides,
            }
        )
        return self._told(event, event.requested_at)

    def cancellation_withdrawn(
        self, at: datetime | None = None, **overrides: Any
    ) -> subscriptions.CancellationWithdrawn:
        """The cancellation withdrawn `at` (now), before the term end: it renews as usual."""
        at = self._when(at)
        event = subscriptions.CancellationWithdrawn(**{**self._same(), "withdrawn_at": at, **overrides})
        return self._told(event, event.withdrawn_at)

    def ended(
        self, reason: str = "cancelled", at: datetime | None = None, **overrides: Any
    ) -> subscriptions.SubscriptionEnded:
        """The end (R28 revokes every seat), when the reason says: `cancelled` at the term end,
        `lapsed` when the 10 days of grace after it are over, `trial_ended` at the trial's end,
        `terminated` (by an operator) now."""
        if at is None:
            at = {
                "cancelled": self.term_end,
                "lapsed": self.term_end + GRACE_PERIOD,
                "trial_ended": self.trial_ends_at or self.now,
            }.get(reason, self.now)
        event = subscriptions.SubscriptionEnded(**{**self._same(), "ended_at": at, "reason": reason, **overrides})
        self.ended_at = event.ended_at
        return self._told(event, event.ended_at)

    # -- seats (R21-R28) --------------------------------------------------------------------------
    def seats_unlocked(self, at: datetime | None = None, **overrides: Any) -> seats.SeatsUnlocked:
        """Seats' answer to the activation (R21): the quantity and licence type in force,
        unlocked when the subscription was activated (now if it was not)."""
        at = at if at is not None else (self.activated_at or self.now)
        event = seats.SeatsUnlocked(
            **{
                **self._same(),
                "quantity": self.quantity,
                "licence_type": self.licence_type,
                "unlocked_at": at,
                **overrides,
            }
        )
        return self._told(event, event.unlocked_at)

    def quantity_changed(
        self, to: int | None = None, at: datetime | None = None, **overrides: Any
    ) -> seats.SeatQuantityChanged:
        """The quantity in force becomes `to` (one seat more by default) `at` (now), requested
        then too, within the current term at the price in force, which is what billing prorates
        (R25, R29). For a scheduled decrease reaching the term end, pass `at=story.term_end`."""
        at = self._when(at)
        to = self.quantity + 1 if to is None else to
        event = seats.SeatQuantityChanged(
            **{
                **self._same(),
                "previous_quantity": self.quantity,
                "new_quantity": to,
                "requested_at": at,
                "effective_at": at,
                "term_start": self.term_start,
                "term_end": self.term_end,
                "unit_price": self.price,
                **overrides,
            }
        )
        self.quantity, self._last_quantity_change = event.new_quantity, event
        return self._told(event, event.effective_at)

    def decrease_scheduled(
        self, to: int | None = None, at: datetime | None = None, **overrides: Any
    ) -> seats.SeatDecreaseScheduled:
        """A decrease to `to` (one seat fewer, at least one, by default) asked `at` (now),
        effective at the term end (R25). The quantity in force does not change yet."""
        at = self._when(at)
        to = max(self.quantity - 1, 1) if to is None else to
        event = seats.SeatDecreaseScheduled(
            **{
                **self._same(),
                "current_quantity": self.quantity,
                "scheduled_quantity": to,
                "requested_at": at,
                "effective_at": self.term_end,
                **overrides,
            }
        )
        return self._told(event, event.requested_at)

    def user_invited(self, user: Contact = UMA, at: datetime | None = None, **overrides: Any) -> seats.UserInvited:
        """`user` (UMA) invited by the administrator in office `at` (now) (R22), with a new
        invitation id each time (`invitation-1`, ...) and a link to identity's registration."""
        at = self._when(at)
        event = seats.UserInvited(
            **{
                **self._same(),
                "invitation_id": self._next("invitation"),
                "user": user,
                "invited_by": self.administrator,
                "resend": False,
                "register_url": f"{IDENTITY_URL}/people/registration?email={quote(user.email)}",
                "invited_at": at,
                **overrides,
            }
        )
        return self._told(event, event.invited_at)

    def seat_assigned(self, user: Contact = UMA, at: datetime | None = None, **overrides: Any) -> seats.SeatAssigned:
        """`user` (UMA) given a named seat `at` (now) (R22); remembered as a seat user."""
        at = self._when(at)
        event = seats.SeatAssigned(
            **{**self._same(), "user_id": user.person_id, "email": user.email, "assigned_at": at, **overrides}
        )
        self.users[event.user_id] = user
        return self._told(event, event.assigned_at)

    def seat_unassigned(
        self, user: Contact = UMA, fallback: str = "trial", at: datetime | None = None, **overrides: Any
    ) -> seats.SeatUnassigned:
        """`user` (UMA) loses their seat `at` (now) (R24), falling back to a trial: a user who
        never had one gets one (R10)."""
        at = self._when(at)
        event = seats.SeatUnassigned(
            **{**self._same(), "user": user, "fallback": fallback, "unassigned_at": at, **overrides}
        )
        self.users.pop(event.user.person_id, None)
        return self._told(event, event.unassigned_at)

    def users_imported(
        self, added: int = 2, duplicates_dropped: int = 0, at: datetime | None = None, **overrides: Any
    ) -> seats.UsersImported:
        """A bulk import (R23) `at` (now) that added 2 users and dropped no duplicates."""
        at = self._when(at)
        event = seats.UsersImported(
            **{
                **self._same(),
                "import_id": self._next("import"),
                "added": added,
                "duplicates_dropped": duplicates_dropped,
                "imported_at": at,
                **overrides,
            }
        )
        return self._told(event, event.imported_at)

    def _holder(self, user: Contact | None) -> Contact:
        return user or next(iter(self.users.values()), UMA)

    def device_activated(
        self, user: Contact | None = None, at: datetime | None = None, **overrides: Any
    ) -> seats.DeviceActivated:
        """Node-locked key `key-1` bound to `device-1` `at` (now) by `user` (the first seat user,
        or UMA) (R27)."""
        at = self._when(at)
        event = seats.DeviceActivated(
            **{
                **self._same(),
                "key_id": "key-1",
                "device_id": "device-1",
                "activated_at": at,
                "person_id": self._holder(user).person_id,
                **overrides,
            }
        )
        return self._told(event, event.activated_at)

    def device_deactivated(
        self, user: Contact | None = None, reason: str = "deactivated", at: datetime | None = None, **overrides: Any
    ) -> seats.DeviceDeactivated:
        """Key `key-1` released from `device-1` `at` (now), by its holder to move it (R27)."""
        at = self._when(at)
        event = seats.DeviceDeactivated(
            **{
                **self._same(),
                "key_id": "key-1",
                "device_id": "device-1",
                "deactivated_at": at,
                "person_id": self._holder(user).person_id,
                "reason": reason,
                **overrides,
            }
        )
        return self._told(event, event.deactivated_at)

    def lease_revoked(
        self, user: Contact | None = None, at: datetime | None = None, **overrides: Any
    ) -> seats.LeaseRevoked:
        """Floating lease `lease-1` of session `session-1` taken back `at` (now) from `user` (the
        first seat user, or UMA), who lost their assignment (R24, R26)."""
        at = self._when(at)
        event = seats.LeaseRevoked(
            **{
                **self._same(),
                "lease_id": "lease-1",
                "person_id": self._holder(user).person_id,
                "session_id": "session-1",
                "reason": "unassigned",
                "revoked_at": at,
                **overrides,
            }
        )
        return self._told(event, event.revoked_at)

    def seats_deprovisioned(self, at: datetime | None = None, **overrides: Any) -> seats.SeatsDeprovisioned:
        """Every seat revoked (R28) when the subscription ended (now if it has not): the seat
        users the story assigned, told to the administrator in office."""
        at = at if at is not None else (self.ended_at or self.now)
        event = seats.SeatsDeprovisioned(
            **{
                **self._same(),
                "administrator": self.administrator,
                "revoked_user_ids": list(self.users),
                "deprovisioned_at": at,
                **overrides,
            }
        )
        self.users = {}
        return self._told(event, event.deprovisioned_at)

    # -- billing (R29-R32) ------------------------------------------------------------------------
    def invoice_adjusted(
        self, change: seats.SeatQuantityChanged | None = None, caused_by: Envelope | str | None = None, **overrides: Any
    ) -> billing.InvoiceAdjusted:
        """Billing's prorated line for a seat change (R29): the story's last `quantity_changed`
        (one is made if there is none), priced exactly as billing does (one rounding, half up)
        and described as billing does. `caused_by` is the change's envelope (or id); a stand-in
        uuid derived from the change otherwise."""
        if change is None:
            change = self._last_quantity_change or self.quantity_changed()
        delta = change.new_quantity - change.previous_quantity
        days_in_term = days_between(change.term_start, change.term_end)
        left = min(days_between(change.effective_at, change.term_end), days_in_term)
        amount = prorated_amount(delta, change.unit_price.amount_minor, left, days_in_term)
        cause = _id_of(caused_by, change.model_dump_json())
        verb = "added" if delta > 0 else "removed"
        event = billing.InvoiceAdjusted(
            **{
                "line_id": str(uuid.uuid5(uuid.NAMESPACE_URL, f"entitle:line:{cause}:seats")),
                **self._same(),
                "description": (
                    f"{abs(delta)} seat(s) {verb} for {left} of {days_in_term} days "
                    f"({change.effective_at:%Y-%m-%d} to {change.term_end:%Y-%m-%d}): "
                    f"{delta} × {_format_money(change.unit_price)} × {left}/{days_in_term}"
                ),
                "period_start": change.effective_at,
                "period_end": change.term_end,
                "quantity_delta": delta,
                "unit_price": change.unit_price,
                "days_remaining": left,
                "days_in_term": days_in_term,
                "amount": Money(amount_minor=amount, currency=change.unit_price.currency),
                "caused_by": cause,
                **overrides,
            }
        )
        return self._told(event, event.period_start)

    def invoice_issued(
        self,
        lines: list[billing.InvoiceLineView | billing.InvoiceAdjusted] | None = None,
        at: datetime | None = None,
        **overrides: Any,
    ) -> billing.InvoiceIssued:
        """An invoice to the administrator in office `at` (now), with the PO in force (R31).
        Lines: the given ones (adjustments are turned into lines), else the current term in full
        (quantity × unit price). The total is their exact sum (R32); a negative total makes it a
        credit note (`CN-…`). Numbered `INV-<year>-000001`, `…2`, ... per story."""
        at = self._when(at)
        if lines is None:
            lines = [
                billing.InvoiceLineView(
                    description=(
                        f"{self.product} {self.tier}: {self.quantity} × {_format_money(self.price)} "
                        f"for the term {self.term_start:%Y-%m-%d} to {self.term_end:%Y-%m-%d}"
                    ),
                    subscription_id=self.subscription_id,
                    amount=Money(amount_minor=self.quantity * self.price.amount_minor, currency=self.price.currency),
                )
            ]
        views = [
            billing.InvoiceLineView(
                description=line.description, subscription_id=line.subscription_id, amount=line.amount
            )
            if isinstance(line, billing.InvoiceAdjusted)
            else line
            for line in lines
        ]
        total = sum(line.amount.amount_minor for line in views)
        kind = "credit_note" if total < 0 else "invoice"
        invoice_id = self._next("inv")
        event = billing.InvoiceIssued(
            **{
                "invoice_id": invoice_id,
                "number": f"{'CN' if total < 0 else 'INV'}-{at.year}-{self._counters['inv']:06d}",
                "kind": kind,
                "account_id": self.account_id,
                "administrator": self.administrator,
                "po_number": self.po_number,
                "issued_at": at,
                "lines": views,
                "total": Money(amount_minor=total, currency=views[0].amount.currency if views else CURRENCY),
                "url": f"{BILLING_URL}/invoices/{invoice_id}",
                **overrides,
            }
        )
        return self._told(event, event.issued_at)

    # -- notifications (R33, R34) -----------------------------------------------------------------
    def email_sent(
        self,
        template: str = "agreement",
        caused_by: Envelope | str | None = None,
        recipient: Contact | None = None,
        at: datetime | None = None,
        **overrides: Any,
    ) -> notifications.EmailSent:
        """The `agreement` e-mail (the first one a purchase causes) sent `at` (now) to `recipient`
        (the administrator in office), in their language. `caused_by` is the causing envelope (or
        id); a stand-in uuid otherwise."""
        at, recipient = self._when(at), recipient or self.administrator
        event = notifications.EmailSent(
            **{
                "email_id": _stand_in_id(self.subscription_id, self._next("email")),
                "template": template,
                "locale": recipient.locale,
                "recipient_id": recipient.person_id,
                "subscription_id": self.subscription_id,
                "caused_by": _id_of(caused_by, self.subscription_id, template),
                "sent_at": at,
                **overrides,
            }
        )
        return self._told(event, event.sent_at)

    def email_rejected(
        self,
        template: str = "agreement",
        caused_by: Envelope | str | None = None,
        recipient: Contact | None = None,
        at: datetime | None = None,
        **overrides: Any,
    ) -> notifications.EmailRejected:
        """The `agreement` e-mail to `recipient` (the administrator in office) refused for good
        `at` (now) with an SMTP 550: the answer of an unknown mailbox (R34)."""
        at, recipient = self._when(at), recipient or self.administrator
        event = notifications.EmailRejected(
            **{
                "email_id": _stand_in_id(self.subscription_id, self._next("email")),
                "template": template,
                "recipient_id": recipient.person_id,
                "subscription_id": self.subscription_id,
                "caused_by": _id_of(caused_by, self.subscription_id, template),
                "reason": "550 5.1.1 Mailbox unavailable",
                "rejected_at": at,
                **overrides,
            }
        )
        return self._told(event, event.rejected_at)


# --- identity: one account, founded by ADA, with BOB as a contact --------------------------------
# Identity's events are about an account or a person, not a subscription: plain functions whose
# defaults name the default story's account and administrator, so the two agree.


def account_registered(**overrides: Any) -> identity.AccountRegistered:
    """Account `a-1` ("Acme") registered at T0 by ADA, its first administrator."""
    return identity.AccountRegistered(
        **{
            "account_id": ACCOUNT_ID,
            "company_name": COMPANY_NAME,
            "administrator_id": ADA.person_id,
            "registered_at": T0,
            **overrides,
        }
    )


def person_registered(**overrides: Any) -> identity.PersonRegistered:
    """ADA registered at T0, accepting the current terms (`2026-01`)."""
    return identity.PersonRegistered(
        **{"person": ADA, "terms_version": TERMS_VERSION, "registered_at": T0, **overrides}
    )


def email_verified(**overrides: Any) -> identity.EmailVerified:
    """ADA verified her e-mail at T0 (R1)."""
    return identity.EmailVerified(**{"person_id": ADA.person_id, "verified_at": T0, **overrides})


def contact_added(**overrides: Any) -> identity.ContactAdded:
    """BOB added to account `a-1` by ADA at T0 (R4), not registered yet: invited, with a link to
    identity's registration page. With `linked=True` the link defaults to None, as identity
    sends no link to a registered contact."""
    linked = overrides.get("linked", False)
    register_url = None if linked else f"{IDENTITY_URL}/people/registration?email={quote(BOB.email)}"
    return identity.ContactAdded(
        **{
            "account_id": ACCOUNT_ID,
            "company_name": COMPANY_NAME,
            "contact": BOB,
            "linked": linked,
            "added_by": ADA,
            "register_url": register_url,
            "added_at": T0,
            **overrides,
        }
    )


def account_verified(**overrides: Any) -> identity.AccountVerified:
    """Account `a-1`'s documents accepted at T0 (R3)."""
    return identity.AccountVerified(**{"account_id": ACCOUNT_ID, "verified_at": T0, **overrides})


def account_verification_lapsed(**overrides: Any) -> identity.AccountVerificationLapsed:
    """Account `a-1`, registered at T0, still without accepted documents 60 days later (R3);
    ADA is told."""
    return identity.AccountVerificationLapsed(
        **{
            "account_id": ACCOUNT_ID,
            "administrator": ADA,
            "registered_at": T0,
            "lapsed_at": T0 + DOCUMENTS_WINDOW,
            **overrides,
        }
    )


def signed_out(**overrides: Any) -> identity.SignedOut:
    """ADA signed out of session `session-1`, acting for `a-1`, at T0 (R26)."""
    return identity.SignedOut(
        **{
            "person_id": ADA.person_id,
            "account_id": ACCOUNT_ID,
            "session_id": "session-1",
            "signed_out_at": T0,
            **overrides,
        }
    )


def account_withdrawn(**overrides: Any) -> identity.AccountWithdrawn:
    """Account `a-1` withdrawn at T0 (its registering person never verified their e-mail)."""
    return identity.AccountWithdrawn(**{"account_id": ACCOUNT_ID, "withdrawn_at": T0, **overrides})


def billing_details_changed(**overrides: Any) -> identity.BillingDetailsChanged:
    """Account `a-1`'s billing details set by ADA at T0: a French company with a VAT number (issue 15)."""
    details = AccountBillingDetails(
        legal_name="Atelier Dupont SARL",
        address=PostalAddress(line1="3 rue Neuve", postcode="69001", city="Lyon", country="FR"),
        vat_number="FR40303265045",
        invoicing_email="compta@dupont.example",
    )
    return identity.BillingDetailsChanged(
        **{"account_id": ACCOUNT_ID, "details": details, "changed_by": ADA.person_id, "changed_at": T0, **overrides}
    )


def verification_email_requested(**overrides: Any) -> identity.VerificationEmailRequested:
    """ADA's verification link, asked for at T0 and working for 48 hours. The token is a
    placeholder: the event is internal because real ones carry a secret."""
    return identity.VerificationEmailRequested(
        **{
            "person": ADA,
            "verify_url": f"{IDENTITY_URL}/verifications?token=test-token",
            "expires_at": T0 + VERIFICATION_LINK_LIFETIME,
            **overrides,
        }
    )


def registration_attempted(**overrides: Any) -> identity.RegistrationAttempted:
    """Someone tried to register ADA's address at T0; she, its owner, is told (R1)."""
    return identity.RegistrationAttempted(**{"person": ADA, "attempted_at": T0, **overrides})


# --- one-off events of the default story ---------------------------------------------------------
# Each is `SubscriptionStory().<name>(**overrides)`: see the story's method for the defaults.
# Being of the same default story, they agree with each other where it matters (the activation
# matches the purchase; the renewal starts where the default first term ends).


def purchase_subscription(**overrides: Any) -> subscriptions.PurchaseSubscription:
    """The command ordering the default subscription (see `SubscriptionStory.purchase_subscription`)."""
    return SubscriptionStory().purchase_subscription(**overrides)


def purchased(**overrides: Any) -> subscriptions.SubscriptionPurchased:
    """See `SubscriptionStory.purchased`: 2 Designer Standard annual seats ordered by ADA at T0."""
    return SubscriptionStory().purchased(**overrides)


def activated(**overrides: Any) -> subscriptions.SubscriptionActivated:
    """See `SubscriptionStory.activated`: the default purchase accepted at T0, a year's term."""
    return SubscriptionStory().activated(**overrides)


def activation_expired(**overrides: Any) -> subscriptions.ActivationExpired:
    """See `SubscriptionStory.activation_expired`: ordered at T0, lapsed 90 days later."""
    return SubscriptionStory().activation_expired(**overrides)


def cancellation_scheduled(**overrides: Any) -> subscriptions.CancellationScheduled:
    """See `SubscriptionStory.cancellation_scheduled`: asked at T0, effective at the term end."""
    return SubscriptionStory().cancellation_scheduled(**overrides)


def cancellation_withdrawn(**overrides: Any) -> subscriptions.CancellationWithdrawn:
    """See `SubscriptionStory.cancellation_withdrawn`."""
    return SubscriptionStory().cancellation_withdrawn(**overrides)


def ended(**overrides: Any) -> subscriptions.SubscriptionEnded:
    """See `SubscriptionStory.ended`: cancelled, at the end of the first term."""
    return SubscriptionStory().ended(**overrides)


def renewed(**overrides: Any) -> subscriptions.SubscriptionRenewed:
    """See `SubscriptionStory.renewed`: the second year, from T0 + 1 year, automatically."""
    return SubscriptionStory().renewed(**overrides)


def grace_started(**overrides: Any) -> subscriptions.GraceStarted:
    """See `SubscriptionStory.grace_started`: a six-month fixed term from T0 ended unrenewed."""
    return SubscriptionStory(billing_cycle=BillingCycle.TERM).grace_started(**overrides)


def amendment_proposed(**overrides: Any) -> subscriptions.AmendmentProposed:
    """See `SubscriptionStory.amendment_proposed`: standard to premium, proposed at T0."""
    return SubscriptionStory().amendment_proposed(**overrides)


def tier_changed(**overrides: Any) -> subscriptions.TierChanged:
    """See `SubscriptionStory.tier_changed`: standard to premium at T0."""
    return SubscriptionStory().tier_changed(**overrides)


def billing_cycle_change_scheduled(**overrides: Any) -> subscriptions.BillingCycleChangeScheduled:
    """See `SubscriptionStory.billing_cycle_change_scheduled`: annual to monthly at the term end."""
    return SubscriptionStory().billing_cycle_change_scheduled(**overrides)


def administrator_transferred(**overrides: Any) -> subscriptions.AdministratorTransferred:
    """See `SubscriptionStory.administrator_transferred`: from ADA to BOB at T0."""
    return SubscriptionStory().administrator_transferred(**overrides)


def purchase_details_changed(**overrides: Any) -> subscriptions.PurchaseDetailsChanged:
    """See `SubscriptionStory.purchase_details_changed`."""
    return SubscriptionStory().purchase_details_changed(**overrides)


def order_awaiting_approval(**overrides: Any) -> subscriptions.OrderAwaitingApproval:
    """See `SubscriptionStory.order_awaiting_approval`: a reseller order of Print Server, the
    product sold through approved reseller orders, placed by ADA."""
    return SubscriptionStory(product="printserver", licence_type=LicenceType.NODE_LOCKED).order_awaiting_approval(
        **overrides
    )


def order_decided(**overrides: Any) -> subscriptions.OrderDecided:
    """See `SubscriptionStory.order_decided`: project `proj-1`'s order approved."""
    return SubscriptionStory(product="printserver", licence_type=LicenceType.NODE_LOCKED).order_decided(**overrides)


def addon_added(**overrides: Any) -> subscriptions.AddonAdded:
    """See `SubscriptionStory.addon_added`: the render farm, 440.00 EUR a year, added at T0."""
    return SubscriptionStory().addon_added(**overrides)


def trial_started(**overrides: Any) -> subscriptions.TrialStarted:
    """See `SubscriptionStory.trial_started`: 30 days of Designer Premium from T0."""
    return SubscriptionStory().trial_started(**overrides)


def trial_ended(**overrides: Any) -> subscriptions.TrialEnded:
    """See `SubscriptionStory.trial_ended`: a trial from T0 fallen back to standard after 30 days."""
    story = SubscriptionStory()
    story.trial_started()
    return story.trial_ended(**overrides)


def seats_unlocked(**overrides: Any) -> seats.SeatsUnlocked:
    """See `SubscriptionStory.seats_unlocked`: the 2 named-user seats, unlocked at T0."""
    return SubscriptionStory().seats_unlocked(**overrides)


def quantity_changed(**overrides: Any) -> seats.SeatQuantityChanged:
    """See `SubscriptionStory.quantity_changed`: 2 to 3 seats at T0, in the first annual term."""
    return SubscriptionStory().quantity_changed(**overrides)


def decrease_scheduled(**overrides: Any) -> seats.SeatDecreaseScheduled:
    """See `SubscriptionStory.decrease_scheduled`: 2 to 1 seat, asked at T0, at the term end."""
    return SubscriptionStory().decrease_scheduled(**overrides)


def seats_deprovisioned(**overrides: Any) -> seats.SeatsDeprovisioned:
    """See `SubscriptionStory.seats_deprovisioned`: UMA's seat revoked at T0, ADA told."""
    story = SubscriptionStory()
    story.seat_assigned()
    return story.seats_deprovisioned(**overrides)


def user_invited(**overrides: Any) -> seats.UserInvited:
    """See `SubscriptionStory.user_invited`: UMA invited by ADA at T0."""
    return SubscriptionStory().user_invited(**overrides)


def seat_assigned(**overrides: Any) -> seats.SeatAssigned:
    """See `SubscriptionStory.seat_assigned`: UMA given a seat at T0."""
    return SubscriptionStory().seat_assigned(**overrides)


def seat_unassigned(**overrides: Any) -> seats.SeatUnassigned:
    """See `SubscriptionStory.seat_unassigned`: UMA loses her seat at T0, falling back to a trial."""
    return SubscriptionStory().seat_unassigned(**overrides)


def users_imported(**overrides: Any) -> seats.UsersImported:
    """See `SubscriptionStory.users_imported`."""
    return SubscriptionStory().users_imported(**overrides)


def device_activated(**overrides: Any) -> seats.DeviceActivated:
    """See `SubscriptionStory.device_activated`."""
    return SubscriptionStory(licence_type=LicenceType.NODE_LOCKED).device_activated(**overrides)


def device_deactivated(**overrides: Any) -> seats.DeviceDeactivated:
    """See `SubscriptionStory.device_deactivated`."""
    return SubscriptionStory(licence_type=LicenceType.NODE_LOCKED).device_deactivated(**overrides)


def lease_revoked(**overrides: Any) -> seats.LeaseRevoked:
    """See `SubscriptionStory.lease_revoked`."""
    return SubscriptionStory(licence_type=LicenceType.FLOATING).lease_revoked(**overrides)


def _lease_event(model: type[Any], times: dict[str, Any], overrides: dict[str, Any]) -> Any:
    """A lease event of the default floating story: lease `lease-1` of UMA on Designer."""
    story = SubscriptionStory(licence_type=LicenceType.FLOATING)
    base = {**story._same(), "lease_id": "lease-1", "person_id": UMA.person_id, "product": story.product}
    return model(**{**base, **times, **overrides})


def lease_taken(**overrides: Any) -> seats.LeaseTaken:
    """Lease `lease-1` taken by UMA at T0 for session `session-1`, for an hour (R26)."""
    times = {"session_id": "session-1", "taken_at": T0, "expires_at": T0 + timedelta(hours=1)}
    return _lease_event(seats.LeaseTaken, times, overrides)


def lease_heartbeat_missed(**overrides: Any) -> seats.LeaseHeartbeatMissed:
    """Lease `lease-1` missed its heartbeat: expired at T0 + 1 h, revivable for an hour more."""
    times = {"expired_at": T0 + timedelta(hours=1), "revivable_until": T0 + timedelta(hours=2)}
    return _lease_event(seats.LeaseHeartbeatMissed, times, overrides)


def lease_revived(**overrides: Any) -> seats.LeaseRevived:
    """Lease `lease-1` revived at T0 + 90 min, for an hour."""
    at = T0 + timedelta(minutes=90)
    return _lease_event(seats.LeaseRevived, {"revived_at": at, "expires_at": at + timedelta(hours=1)}, overrides)


def lease_expired(**overrides: Any) -> seats.LeaseExpired:
    """Lease `lease-1` over for good at T0 + 2 h."""
    return _lease_event(seats.LeaseExpired, {"expired_at": T0 + timedelta(hours=2)}, overrides)


def lease_borrowed(**overrides: Any) -> seats.LeaseBorrowed:
    """Lease `lease-1` borrowed at T0 for 7 days of offline work."""
    times = {"borrowed_at": T0, "borrowed_until": T0 + timedelta(days=7)}
    return _lease_event(seats.LeaseBorrowed, times, overrides)


def lease_released(**overrides: Any) -> seats.LeaseReleased:
    """Lease `lease-1` given back by UMA at T0 + 30 min."""
    return _lease_event(
        seats.LeaseReleased, {"released_at": T0 + timedelta(minutes=30), "reason": "released"}, overrides
    )


def invoice_adjusted(**overrides: Any) -> billing.InvoiceAdjusted:
    """See `SubscriptionStory.invoice_adjusted`: one seat added at T0, a whole year: 365.00 EUR."""
    return SubscriptionStory().invoice_adjusted(**overrides)


def invoice_issued(**overrides: Any) -> billing.InvoiceIssued:
    """See `SubscriptionStory.invoice_issued`: `INV-2026-000001`, the first year of 2 seats,
    730.00 EUR, to ADA."""
    return SubscriptionStory().invoice_issued(**overrides)


def payment_recorded(**overrides: Any) -> billing.PaymentRecorded:
    """730.00 EUR received by bank transfer on T0's day for `INV-2026-000001` (`invoice_issued()`):
    paid in full."""
    return billing.PaymentRecorded(
        **{
            "payment_id": "pay-1",
            "invoice_id": "inv-1",
            "invoice_number": "INV-2026-000001",
            "account_id": ACCOUNT_ID,
            "amount": eur(73000),
            "method": "bank_transfer",
            "received_on": T0.date(),
            "bank_entry_id": "2026010500001",
            **overrides,
        }
    )


def payment_reversed(**overrides: Any) -> billing.PaymentReversed:
    """`payment_recorded()` taken back 5 days later: returned, insufficient funds (`AM04`)."""
    return billing.PaymentReversed(
        **{
            "payment_id": "pay-1",
            "invoice_id": "inv-1",
            "account_id": ACCOUNT_ID,
            "amount": eur(73000),
            "reason": "AM04",
            "reversed_on": T0.date() + timedelta(days=5),
            **overrides,
        }
    )


def invoice_state_changed(**overrides: Any) -> billing.InvoiceStateChanged:
    """`INV-2026-000001` (730.00 EUR, due 30 days after T0, charging subscription `s-1`) paid
    in full: from `open` to `paid`."""
    return billing.InvoiceStateChanged(
        **{
            "invoice_id": "inv-1",
            "invoice_number": "INV-2026-000001",
            "account_id": ACCOUNT_ID,
            "previous": "open",
            "state": "paid",
            "paid": eur(73000),
            "open_amount": eur(0),
            "due_on": T0.date() + timedelta(days=30),
            "reason": None,
            "subscription_ids": [SUBSCRIPTION_ID],
            **overrides,
        }
    )


def payment_reminder_due(**overrides: Any) -> billing.PaymentReminderDue:
    """The first reminder of `INV-2026-000001` (730.00 EUR, due 30 days after T0), 3 days past
    its due date, nothing paid; still unpaid, access is suspended 30 days after the due date."""
    due_on = T0.date() + timedelta(days=30)
    return billing.PaymentReminderDue(
        **{
            "invoice_id": "inv-1",
            "number": "INV-2026-000001",
            "account_id": ACCOUNT_ID,
            "step": 1,
            "days_overdue": 3,
            "due_on": due_on,
            "open_amount": eur(73000),
            "total": eur(73000),
            "payment_reference": "RF94INV2026000001",
            "administrator": ADA,
            "invoicing_email": "invoices@example.com",
            "language": "en",
            "suspends_on": due_on + timedelta(days=30),
            "url": "http://portal.test/invoices/inv-1",
            **overrides,
        }
    )


def subscriptions_suspended(**overrides: Any) -> billing.SubscriptionsSuspended:
    """`INV-2026-000001` still unpaid 30 days after its due date: the term it charged for
    SUBSCRIPTION_ID (T0 to a year later) is suspended, and nothing else."""
    due_on = T0.date() + timedelta(days=30)
    return billing.SubscriptionsSuspended(
        **{
            "invoice_id": "inv-1",
            "number": "INV-2026-000001",
            "account_id": ACCOUNT_ID,
            "reason": "payment_overdue",
            "suspended_at": datetime.combine(due_on + timedelta(days=30), time(), tzinfo=UTC),
            "due_on": due_on,
            "open_amount": eur(73000),
            "periods": [{"subscription_id": SUBSCRIPTION_ID, "start": T0, "end": T0 + timedelta(days=365)}],
            "administrator": ADA,
            "language": "en",
            "url": "http://portal.test/invoices/inv-1",
            **overrides,
        }
    )


def subscriptions_reinstated(**overrides: Any) -> billing.SubscriptionsReinstated:
    """`subscriptions_suspended()` lifted 5 days later: the invoice was paid."""
    return billing.SubscriptionsReinstated(
        **{
            "invoice_id": "inv-1",
            "number": "INV-2026-000001",
            "account_id": ACCOUNT_ID,
            "reinstated_at": datetime.combine(T0.date() + timedelta(days=65), time(12), tzinfo=UTC),
            "subscription_ids": [SUBSCRIPTION_ID],
            "why": "paid",
            "administrator": ADA,
            "language": "en",
            **overrides,
        }
    )


INVOICE_PDF = b"%PDF-1.7\n% INV-2026-000001: a stand-in for the printed invoice\n%%EOF\n"
"""What `invoice_printed()` carries: not a real PDF, but it starts and ends as one."""


def invoice_printed(**overrides: Any) -> billing.InvoicePrinted:
    """`INV-2026-000001` (`invoice_issued()`) printed: `INVOICE_PDF`, its size and SHA-256
    agreeing with it. Override `content_base64` with None for an oversized PDF (link only)."""
    return billing.InvoicePrinted(
        **{
            "invoice_id": "inv-1",
            "account_id": ACCOUNT_ID,
            "number": "INV-2026-000001",
            "kind": "invoice",
            "filename": "INV-2026-000001.pdf",
            "media_type": "application/pdf",
            "size_bytes": len(INVOICE_PDF),
            "sha256": hashlib.sha256(INVOICE_PDF).hexdigest(),
            "content_base64": base64.b64encode(INVOICE_PDF).decode("ascii"),
            **overrides,
        }
    )


def email_sent(**overrides: Any) -> notifications.EmailSent:
    """See `SubscriptionStory.email_sent`: the agreement e-mail to ADA."""
    return SubscriptionStory().email_sent(**overrides)


def email_rejected(**overrides: Any) -> notifications.EmailRejected:
    """See `SubscriptionStory.email_rejected`: the agreement e-mail to ADA, refused with a 550."""
    return SubscriptionStory().email_rejected(**overrides)


def password_reset_requested(**overrides: Any) -> identity.PasswordResetRequested:
    """ADA's password-reset link, asked for at T0 and working for an hour. The token is a
    placeholder: the event is internal because real ones carry a secret."""
    return identity.PasswordResetRequested(
        **{
            "person": ADA,
            "reset_url": f"{PORTAL_URL}/password-reset?token=test-token",
            "expires_at": T0 + PASSWORD_RESET_LIFETIME,
            **overrides,
        }
    )


# --- helpers -----------------------------------------------------------------------------------


def forged(event: Event, **changes: Any) -> Any:
    """A copy of `event` with `changes`, validated like a real one: what a wrong or broken-into
    producer could publish. For tests that a consumer refuses what contradicts what it knows.
    (`model_copy(update=...)` would skip validation and could build an event no producer can.)"""
    return type(event).model_validate({**event.model_dump(), **changes})


# When an event happened, where its first `*_at` field is not that moment.
_OCCURRED: dict[type[Event], Callable[[Any], datetime]] = {
    identity.AccountVerificationLapsed: lambda e: e.lapsed_at,
    identity.VerificationEmailRequested: lambda e: e.expires_at - VERIFICATION_LINK_LIFETIME,
    identity.PasswordResetRequested: lambda e: e.expires_at - PASSWORD_RESET_LIFETIME,
    subscriptions.ActivationExpired: lambda e: e.expired_at,
    subscriptions.GraceStarted: lambda e: e.term_end,
    seats.SeatQuantityChanged: lambda e: e.effective_at,
    billing.InvoiceAdjusted: lambda e: e.period_start,
}


def occurred_at(event: Event) -> datetime:
    """When the fact happened: the event's own time (e.g. `activated_at`). T0 for the purchase
    command, which carries no time."""
    if type(event) in _OCCURRED:
        return _OCCURRED[type(event)](event)
    for name in type(event).model_fields:
        value = getattr(event, name)
        if name.endswith("_at") and isinstance(value, datetime):
            return value
    return T0


def envelope(event: Event, source: str | None = None, time: datetime | None = None, **kw: Any) -> Envelope:
    """`event` in its envelope, as its producer would publish it: from the service owning the
    event's topic (`source`, e.g. `subscriptions`), at the time the event says it happened
    (`time`). Other keywords go to `Envelope.wrap`: `correlation_id`, `causation_id`, `event_id`."""
    return Envelope.wrap(
        event, source=source or topic_for(event).owner, time=occurred_at(event) if time is None else time, **kw
    )


FACTORIES: dict[type[Event], Callable[..., Event]] = {
    identity.AccountRegistered: account_registered,
    identity.PersonRegistered: person_registered,
    identity.EmailVerified: email_verified,
    identity.ContactAdded: contact_added,
    identity.AccountVerified: account_verified,
    identity.AccountVerificationLapsed: account_verification_lapsed,
    identity.SignedOut: signed_out,
    identity.AccountWithdrawn: account_withdrawn,
    identity.BillingDetailsChanged: billing_details_changed,
    identity.VerificationEmailRequested: verification_email_requested,
    identity.RegistrationAttempted: registration_attempted,
    identity.PasswordResetRequested: password_reset_requested,
    subscriptions.SubscriptionPurchased: purchased,
    subscriptions.SubscriptionActivated: activated,
    subscriptions.ActivationExpired: activation_expired,
    subscriptions.CancellationScheduled: cancellation_scheduled,
    subscriptions.SubscriptionEnded: ended,
    subscriptions.SubscriptionRenewed: renewed,
    subscriptions.GraceStarted: grace_started,
    subscriptions.CancellationWithdrawn: cancellation_withdrawn,
    subscriptions.AmendmentProposed: amendment_proposed,
    subscriptions.TierChanged: tier_changed,
    subscriptions.BillingCycleChangeScheduled: billing_cycle_change_scheduled,
    subscriptions.AdministratorTransferred: administrator_transferred,
    subscriptions.PurchaseDetailsChanged: purchase_details_changed,
    subscriptions.OrderAwaitingApproval: order_awaiting_approval,
    subscriptions.OrderDecided: order_decided,
    subscriptions.AddonAdded: addon_added,
    subscriptions.TrialStarted: trial_started,
    subscriptions.TrialEnded: trial_ended,
    subscriptions.PurchaseSubscription: purchase_subscription,
    seats.SeatsUnlocked: seats_unlocked,
    seats.SeatQuantityChanged: quantity_changed,
    seats.SeatDecreaseScheduled: decrease_scheduled,
    seats.SeatsDeprovisioned: seats_deprovisioned,
    seats.UserInvited: user_invited,
    seats.SeatAssigned: seat_assigned,
    seats.SeatUnassigned: seat_unassigned,
    seats.UsersImported: users_imported,
    seats.DeviceActivated: device_activated,
    seats.DeviceDeactivated: device_deactivated,
    seats.LeaseRevoked: lease_revoked,
    seats.LeaseTaken: lease_taken,
    seats.LeaseHeartbeatMissed: lease_heartbeat_missed,
    seats.LeaseRevived: lease_revived,
    seats.LeaseExpired: lease_expired,
    seats.LeaseBorrowed: lease_borrowed,
    seats.LeaseReleased: lease_released,
    billing.InvoiceAdjusted: invoice_adjusted,
    billing.InvoiceIssued: invoice_issued,
    billing.PaymentRecorded: payment_recorded,
    billing.PaymentReversed: payment_reversed,
    billing.InvoiceStateChanged: invoice_state_changed,
    billing.PaymentReminderDue: payment_reminder_due,
    billing.SubscriptionsSuspended: subscriptions_suspended,
    billing.SubscriptionsReinstated: subscriptions_reinstated,
    billing.InvoicePrinted: invoice_printed,
    notifications.EmailSent: email_sent,
    notifications.EmailRejected: email_rejected,
}
"""The module-level factory of each event model (and of the purchase command)."""


def factory_for(event_type: str) -> Callable[..., Event]:
    """The factory of an event type (`subscription.activated`); KeyError for an unknown one."""
    return FACTORIES[EVENT_TYPES[event_type]]
