"""contracts.testing: a factory for every event, events that round-trip, stories that agree."""

from __future__ import annotations

import ast
import sys
import tomllib
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from pydantic import ValidationError

from contracts import testing
from contracts.envelope import Envelope
from contracts.registry import EVENT_TYPES, model_for, topic_for
from contracts.subscriptions import SubscriptionActivated, SubscriptionPurchased
from contracts.testing import ADA, BOB, T0, SubscriptionStory, contact, eur
from contracts.values import BillingCycle, LicenceType

MODULE = Path(testing.__file__)
CATALOGUE = Path(__file__).resolve().parents[2] / "services/subscriptions/subscriptions/adapters/catalogue.toml"


def test_every_event_type_in_the_registry_has_a_factory_and_no_factory_is_stale():
    """A new event in the registry without a factory fails here: add one to contracts.testing."""
    missing = sorted(t for t, model in EVENT_TYPES.items() if model not in testing.FACTORIES)
    assert not missing, f"no factory in contracts.testing for {missing}"
    assert set(testing.FACTORIES) == set(EVENT_TYPES.values())


@pytest.mark.parametrize("event_type", sorted(EVENT_TYPES))
def test_every_factory_s_event_validates_and_round_trips_through_an_envelope(event_type):
    model = EVENT_TYPES[event_type]
    event = testing.factory_for(event_type)()
    assert type(event) is model
    assert model.model_validate(event.model_dump(mode="json")) == event

    wrapped = testing.envelope(event)
    read = Envelope.model_validate_json(wrapped.to_json())
    assert (read.type, read.subject, read.dataschema) == (
        event_type,
        event.subject(),
        f"entitle:{event_type}:v{model.version}",
    )
    assert read.source == f"/entitle/{topic_for(event).owner}"
    assert read.time == testing.occurred_at(event) and read.time.tzinfo is not None
    assert model_for(read.type).model_validate(read.data) == event


def test_the_module_is_pure_it_imports_only_contracts_and_the_standard_library():
    """Downstream teams import it from their own tests, whatever their test runner and Kafka client."""
    imported = set()
    for node in ast.walk(ast.parse(MODULE.read_text(encoding="utf-8"))):
        if isinstance(node, ast.Import):
            imported |= {alias.name.split(".")[0] for alias in node.names}
        elif isinstance(node, ast.ImportFrom) and node.level == 0:
            imported.add(node.module.split(".")[0])
    assert imported - set(sys.stdlib_module_names) - {"__future__"} == {"contracts"}


def test_the_defaults_are_the_documented_people_time_and_plan():
    assert datetime(2026, 1, 5, 9, 0, tzinfo=UTC) == T0
    assert (ADA.person_id, ADA.email, BOB.person_id, BOB.email) == (
        "p-ada",
        "ada@example.com",
        "p-bob",
        "bob@example.com",
    )
    assert all(p.email.endswith("@example.com") for p in (ADA, BOB, testing.UMA))
    bought = testing.purchased()
    assert (bought.subscription_id, bought.account_id, bought.administrator, bought.ordered_at) == (
        "s-1",
        "a-1",
        ADA,
        T0,
    )
    assert (
        bought.product,
        bought.tier,
        bought.billing_cycle,
        bought.licence_type,
        bought.quantity,
        bought.unit_price,
    ) == ("designer", "standard", BillingCycle.ANNUAL, LicenceType.NAMED_USER, 2, eur(36500))
    assert bought.activation_deadline == T0 + timedelta(days=90)
    registered = testing.account_registered()
    assert (registered.account_id, registered.administrator_id) == (bought.account_id, ADA.person_id)


BOUGHT_THE_SAME_WAY = [
    "account_id",
    "administrator",
    "licence_type",
    "product",
    "tier",
    "billing_cycle",
    "quantity",
    "unit_price",
    "po_number",
]


def plain_story():
    return SubscriptionStory()


def monthly_floating_with_a_po():
    return SubscriptionStory(
        subscription_id="s-9",
        account_id="a-9",
        administrator=contact("Nia", locale="nl"),
        tier="premium",
        licence_type=LicenceType.FLOATING,
        billing_cycle=BillingCycle.MONTHLY,
        quantity=5,
        po_number="PO-7",
    )


def fixed_term():
    return SubscriptionStory(billing_cycle=BillingCycle.TERM, term_ends_on=datetime(2027, 7, 1, tzinfo=UTC))


def reseller_order():
    story = SubscriptionStory(product="printserver", licence_type=LicenceType.NODE_LOCKED)
    story.order_awaiting_approval()
    story.order_decided()
    return story


def converted_trial():
    story = SubscriptionStory()
    story.trial_started()
    story.advance(days=12)
    return story


@pytest.mark.parametrize(
    "story",
    [plain_story, monthly_floating_with_a_po, fixed_term, reseller_order, converted_trial],
    ids=lambda f: f.__name__,
)
def test_a_story_s_activation_agrees_with_its_purchase(story):
    story = story()
    purchase = story.purchased()
    activation = story.activated(at=purchase.ordered_at + timedelta(days=3))
    assert isinstance(purchase, SubscriptionPurchased) and isinstance(activation, SubscriptionActivated)
    assert {f: getattr(activation, f) for f in BOUGHT_THE_SAME_WAY} == {
        f: getattr(purchase, f) for f in BOUGHT_THE_SAME_WAY
    }
    assert purchase.ordered_at <= activation.activated_at == activation.term_start <= purchase.activation_deadline
    assert activation.term_end > activation.term_start
    assert story.history[-2:] == [purchase, activation]


def test_a_converting_purchase_buys_the_trial_s_tier_and_names_its_project_after_an_approval():
    trial = converted_trial()
    started, purchase = trial.history[0], trial.purchased()
    assert purchase.converts_trial and purchase.tier == started.tier == "premium"
    assert purchase.unit_price == eur(73000) and purchase.ordered_at == T0 + timedelta(days=12)
    order = reseller_order()
    awaiting, purchase = order.history[0], order.purchased()
    assert purchase.project_id == awaiting.project_id == "proj-1" and awaiting.reseller == purchase.administrator
    assert purchase.unit_price == eur(27500) and not purchase.converts_trial


def test_a_fixed_term_ends_on_its_date_and_is_priced_by_its_days():
    story = fixed_term()
    purchase, activation = story.bought()
    end = datetime(2027, 7, 1, tzinfo=UTC)
    assert purchase.term_ends_on == activation.term_end == end and purchase.activation_deadline == T0 + timedelta(
        days=90
    )
    # 542 days of 36500 a year, less the 10 % discount beyond 12 months: round(36500 × 542 / 365 × 0.9)
    assert purchase.unit_price == eur(48780)


def test_each_transfer_starts_from_the_administrator_in_office_and_later_events_name_the_new_one():
    story = SubscriptionStory()
    story.bought()
    nia = contact("Nia")
    chain = [
        story.administrator_transferred(),
        story.administrator_transferred(to=nia),
        story.administrator_transferred(),
    ]
    assert [(t.previous_administrator, t.new_administrator) for t in chain] == [(ADA, BOB), (BOB, nia), (nia, BOB)]
    assert story.administrator == BOB and story.administrators == [ADA, BOB, nia]
    for event in (
        story.user_invited(),
        story.cancellation_scheduled(),
        story.invoice_issued(),
        story.renewed(),
        story.seats_deprovisioned(),
    ):
        named = getattr(event, "administrator", None) or event.invited_by
        assert named == BOB, event.type


def test_renewals_start_where_the_term_ends_and_a_scheduled_cycle_applies_at_the_renewal():
    story = SubscriptionStory(start=datetime(2026, 1, 31, 12, tzinfo=UTC), billing_cycle=BillingCycle.MONTHLY)
    _, activation = story.bought()
    assert activation.term_end == datetime(2026, 2, 28, 12, tzinfo=UTC)  # clamped to the month's end
    first = story.renewed()
    assert (first.term_start, first.term_end, first.renewed_at) == (
        activation.term_end,
        datetime(2026, 3, 28, 12, tzinfo=UTC),
        activation.term_end,
    )
    scheduled = story.billing_cycle_change_scheduled()
    assert (scheduled.from_cycle, scheduled.to_cycle, scheduled.effective_at) == (
        BillingCycle.MONTHLY,
        BillingCycle.ANNUAL,
        first.term_end,
    )
    second = story.renewed()
    assert (second.term_start, second.billing_cycle, second.unit_price) == (
        first.term_end,
        BillingCycle.ANNUAL,
        eur(36500),
    )
    assert second.term_end == datetime(2027, 3, 28, 12, tzinfo=UTC)
    assert story.renewed().term_start == second.term_end


def test_a_fixed_term_enters_grace_at_its_end_and_a_renewal_in_grace_starts_there():
    story = fixed_term()
    story.bought()
    grace = story.grace_started()
    assert (grace.term_end, grace.grace_ends_at) == (story.term_end, story.term_end + timedelta(days=10))
    renewal = story.renewed(how="renewed_in_grace", at=grace.term_end + timedelta(days=4))
    assert (renewal.term_start, renewal.renewed_at) == (grace.term_end, grace.term_end + timedelta(days=4))
    assert story.ended("lapsed").ended_at == renewal.term_end + timedelta(days=10)


def test_a_tier_change_accepts_the_proposed_amendment_within_the_term_as_the_worked_example_says():
    """docs/lifecycle.md: 2 seats of Premium, annual from 2026-01-05; on 2026-07-05 Premium Plus."""
    story = SubscriptionStory(tier="premium")
    _, activation = story.bought()
    july = datetime(2026, 7, 5, 9, tzinfo=UTC)
    proposal = story.amendment_proposed(at=july)
    assert (proposal.from_tier, proposal.to_tier, proposal.new_unit_price) == ("premium", "premium_plus", eur(109500))
    assert (proposal.quoted_credit, proposal.quoted_charge) == (eur(-73600), eur(110400))
    change = story.tier_changed()
    assert (change.amendment_id, change.to_tier, change.new_unit_price) == (
        proposal.amendment_id,
        "premium_plus",
        eur(109500),
    )
    assert (change.previous_unit_price, change.quantity, change.effective_at) == (eur(73000), 2, july)
    assert (change.term_start, change.term_end) == (activation.term_start, activation.term_end)
    assert story.renewed().unit_price == eur(109500) and story.tier == "premium_plus"


def test_seat_changes_carry_the_term_and_price_in_force_and_billing_prorates_them_as_billing_does():
    story = SubscriptionStory()
    story.bought()
    change = story.quantity_changed(5, at=datetime(2026, 7, 5, 9, tzinfo=UTC))
    assert (change.previous_quantity, change.new_quantity, change.unit_price) == (2, 5, eur(36500))
    assert (change.term_start, change.term_end) == (T0, datetime(2027, 1, 5, 9, tzinfo=UTC))
    wrapped = testing.envelope(change)
    line = story.invoice_adjusted(caused_by=wrapped)
    assert (line.quantity_delta, line.days_remaining, line.days_in_term, line.caused_by) == (3, 184, 365, wrapped.id)
    assert line.amount == eur(55200)  # 3 × 36500 × 184 / 365
    invoice = story.invoice_issued(lines=[line])
    assert (invoice.total, invoice.kind, invoice.number) == (eur(55200), "invoice", "INV-2026-000001")
    assert [view.subscription_id for view in invoice.lines] == ["s-1"]
    decrease = story.decrease_scheduled(1)
    assert (decrease.current_quantity, decrease.scheduled_quantity, decrease.effective_at) == (5, 1, story.term_end)
    credit = story.invoice_issued(lines=[story.invoice_adjusted(story.quantity_changed(4))])
    assert credit.kind == "credit_note" and credit.number.startswith("CN-") and credit.total.amount_minor < 0


def test_seat_users_are_remembered_and_revoked_at_the_end():
    story = SubscriptionStory()
    story.bought()
    story.seat_assigned()
    story.seat_assigned(contact("Ivo"))
    story.ended("terminated", at=T0 + timedelta(days=3))
    gone = story.seats_deprovisioned()
    assert (gone.revoked_user_ids, gone.deprovisioned_at) == (["u-uma", "p-ivo"], T0 + timedelta(days=3))


def test_module_level_overrides_replace_just_those_fields_and_are_validated():
    assert testing.activated(quantity=5).quantity == 5
    assert testing.activated(quantity=5).unit_price == testing.activated().unit_price
    assert testing.contact_added(linked=True).register_url is None
    assert testing.signed_out(session_id="s-x").session_id == "s-x"
    assert testing.email_sent(template="invoice_issued", locale="nl").locale == "nl"
    with pytest.raises(ValidationError):
        testing.purchased(quantity=0)


def test_story_overrides_are_remembered_and_forgeries_are_not():
    story = SubscriptionStory()
    story.bought()
    story.renewed(unit_price=eur(80000))
    assert story.tier_changed().previous_unit_price == eur(80000)

    honest = SubscriptionStory()
    purchase = honest.purchased()
    forgery = testing.forged(honest.activated(), quantity=500, administrator=contact("Eve"))
    assert (forgery.quantity, forgery.administrator.person_id) == (500, "p-eve")
    assert (honest.quantity, honest.administrator) == (purchase.quantity, ADA)
    with pytest.raises(ValidationError):
        testing.forged(purchase, quantity=0)


def test_envelope_defaults_to_the_owner_and_the_event_s_time_and_passes_the_rest_to_wrap():
    event = testing.renewed()
    wrapped = testing.envelope(event, correlation_id="purchase-1", event_id="e-1")
    assert (wrapped.source, wrapped.time, wrapped.id, wrapped.correlationid) == (
        "/entitle/subscriptions",
        event.renewed_at,
        "e-1",
        "purchase-1",
    )
    other = testing.envelope(event, source="test", time=T0)
    assert (other.source, other.time) == ("/entitle/test", T0)
    assert testing.envelope(testing.quantity_changed()).source == "/entitle/seats"


@pytest.mark.skipif(not CATALOGUE.exists(), reason="the subscriptions service is not in this checkout")
def test_the_prices_are_the_packaged_catalogue_s():
    """contracts.testing keeps a copy of the catalogue's prices; this fails when they drift apart."""
    products = tomllib.loads(CATALOGUE.read_text(encoding="utf-8"))["products"]
    for code, product in products.items():
        for tier in product.get("tiers", []):
            if "prices" not in tier:
                continue  # not sold self-service (enterprise)
            for cycle in (BillingCycle.MONTHLY, BillingCycle.ANNUAL):
                assert testing.list_price(code, tier["code"], cycle) == eur(tier["prices"][cycle.value]), (code, tier)
        for addon in product.get("addons", []):
            assert testing.addon_price(code, addon["code"], BillingCycle.ANNUAL) == eur(addon["prices"]["annual"])
        assert testing._TERM_DISCOUNT_PERCENT[code] == product["term_discount_percent"]
        if "trial" in product:
            trial = product["trial"]
            assert testing._TRIALS[code] == (trial["tier"], trial["days"], trial["fallback_tier"])
