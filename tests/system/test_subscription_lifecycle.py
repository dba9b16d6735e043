"""The commercial lifecycle of a subscription over the real stack: tier amendments (R12),
grace and renewal within it (R15), administrator transfer (R17), reseller orders (R19),
trials (R10) and add-ons (R20).

The stack and its clock are shared with every other system test of the session: nothing
here assumes it is alone, and only the grace test moves the clock (by five weeks).
"""

from __future__ import annotations

import uuid
from datetime import datetime, timedelta

import pytest

from devkit.client import EntitleClient, EntitleError, eventually
from opskit.topicreader import events_of


def types_of(stack, subscription_id: str) -> list[str]:
    return [e["type"] for e in events_of(stack.config.bootstrap, "subscriptions.events.v1", subscription_id)]


def now(api: EntitleClient) -> datetime:
    return datetime.fromisoformat(api.call("subscriptions", "GET", "/ops/clock")["now"])


def post(client: EntitleClient, path: str, body: dict | None = None) -> dict:
    return client.call("subscriptions", "POST", path, body)


def active(customer: EntitleClient, **plan) -> str:
    sid = customer.purchase(**{"quantity": 2, **plan})["id"]
    assert customer.accept(sid)["status"] == "active"
    return sid


def test_R12_preview_then_amendment_then_acceptance_changes_the_tier(stack, customer):
    sid = active(customer, tier="premium")
    path = f"/subscriptions/{sid}"
    preview = customer.call("subscriptions", "GET", f"{path}/tier-change-preview?tier=premium_plus")
    assert (preview["from_tier"], preview["to_tier"], preview["quantity"]) == ("premium", "premium_plus", 2)
    assert preview["credit"]["amount_minor"] <= 0 <= preview["charge"]["amount_minor"]
    assert preview["net"]["amount_minor"] == preview["credit"]["amount_minor"] + preview["charge"]["amount_minor"]
    assert preview["new_unit_price"] == {"amount_minor": 109500, "currency": "EUR"}
    assert customer.subscription(sid)["tier"] == "premium"  # a preview changes nothing

    amendment = post(customer, f"{path}/amendments", {"tier": "premium_plus"})
    assert customer.subscription(sid)["tier"] == "premium"  # not before acceptance
    changed = post(customer, f"{path}/amendments/{amendment['id']}/acceptance")
    assert (changed["tier"], changed["unit_price"]["amount_minor"]) == ("premium_plus", 109500)
    eventually(lambda: "subscription.tier_changed" in types_of(stack, sid), what="tier_changed published")
    assert "subscription.amendment_proposed" in types_of(stack, sid)


def test_R13_a_software_assurance_order_is_never_downgraded(api, customer):
    project = f"proj-{uuid.uuid4().hex[:8]}"
    sid = customer.purchase(
        quantity=1, product="printserver", tier="premium", licence_type="node_locked", project_id=project
    )["id"]
    post(api, f"/ops/orders/{sid}/decision", {"approved": True})
    customer.accept(sid)
    with pytest.raises(EntitleError) as refused:
        post(customer, f"/subscriptions/{sid}/amendments", {"tier": "standard"})
    assert (refused.value.status, refused.value.rule) == (403, "R13")


def test_R15_a_fixed_term_goes_into_grace_and_is_renewed_within_it(stack, api, customer):
    ends_on = (now(api) + timedelta(days=31)).date()
    sid = active(customer, billing_cycle="term", term_ends_on=ends_on.isoformat())
    assert customer.subscription(sid)["term_end"].startswith(ends_on.isoformat())

    api.advance_clock(days=32)
    graced = eventually(lambda: (s := customer.subscription(sid))["status"] == "grace" and s, what="grace")
    assert graced["grace_ends_at"].startswith((ends_on + timedelta(days=10)).isoformat())
    assert customer.seats(sid)["status"] == "unlocked"  # access continues during the grace

    new_end = ends_on + timedelta(days=60)
    renewed = post(customer, f"/subscriptions/{sid}/renewal", {"term_ends_on": new_end.isoformat()})
    assert renewed["status"] == "active" and renewed["term_start"].startswith(ends_on.isoformat())
    assert renewed["term_end"].startswith(new_end.isoformat())
    eventually(lambda: "subscription.renewed" in types_of(stack, sid), what="renewed published")
    assert "subscription.grace_started" in types_of(stack, sid)


def refusal_code(attempt) -> str | None:
    try:
        attempt()
    except EntitleError as refused:
        return refused.code
    return None


def test_R17_R38_administration_moves_to_a_registered_contact_named_by_email_and_the_previous_gets_404(api, customer):
    """Issue 11 item 23: the new administrator is named by e-mail alone and must be a registered
    contact of the company; subscriptions learns the contacts from identity's events."""
    sid = active(customer)
    email = f"nia-{uuid.uuid4().hex[:10]}@example.com"
    with pytest.raises(EntitleError) as refused:
        customer.transfer_administration(sid, email)
    assert (refused.value.status, refused.value.code, refused.value.rule) == (409, "not_a_company_contact", "R17")

    customer.add_company_contact(email, "Nia", "Nieuw", "nl")
    eventually(
        lambda: refusal_code(lambda: customer.transfer_administration(sid, email)) == "contact_not_registered",
        what="subscriptions learnt the invited contact",
    )
    person_id = api.register_person(email, "Nia Nieuw", "nl")["person_id"]
    moved = eventually(
        lambda: customer.transfer_administration(sid, email), what="the transfer to the registered contact"
    )
    assert moved["administrator_id"] == person_id

    for attempt in (
        lambda: customer.subscription(sid),
        lambda: customer.cancel(sid, "mine"),
        lambda: customer.transfer_administration(sid, email),
    ):
        with pytest.raises(EntitleError) as refused:
            attempt()
        assert refused.value.status == 404
    assert sid not in [s["id"] for s in customer.call("subscriptions", "GET", "/subscriptions")]
    api.verify_email(email)
    assert api.sign_in(email).subscription(sid)["administrator_id"] == person_id


def test_R19_a_second_order_on_a_waiting_project_is_refused_until_the_decision(stack, api, customer):
    project = f"proj-{uuid.uuid4().hex[:8]}"
    order = dict(quantity=3, product="printserver", licence_type="node_locked", project_id=project)
    waiting = customer.purchase(**order)
    assert waiting["status"] == "awaiting_approval"
    with pytest.raises(EntitleError) as refused:
        customer.purchase(**order)
    assert (refused.value.status, refused.value.rule) == (409, "R19")

    approved = post(api, f"/ops/orders/{waiting['id']}/decision", {"approved": True})
    assert approved["status"] == "pending_activation"
    eventually(lambda: "subscription.purchased" in types_of(stack, waiting["id"]), what="purchased")
    assert customer.purchase(**order)["status"] == "awaiting_approval"  # the project is open again


def test_R10_a_trial_converts_into_an_active_subscription_once_per_account(stack, customer):
    trial = post(customer, "/subscriptions/trials", {"product": "designer"})
    assert (trial["status"], trial["tier"]) == ("trialing", "premium")
    with pytest.raises(EntitleError) as refused:
        post(customer, "/subscriptions/trials", {"product": "designer"})
    assert refused.value.rule == "R10"

    converted = post(customer, f"/subscriptions/{trial['id']}/conversion", {"billing_cycle": "monthly", "quantity": 3})
    assert (converted["status"], converted["quantity"], converted["tier"]) == ("active", 3, "premium")
    eventually(lambda: "subscription.trial_ended" in types_of(stack, trial["id"]), what="trial_ended")


def test_R20_an_add_on_only_on_a_paid_subscription_and_once(api, customer):
    pending = customer.purchase(quantity=1)["id"]
    with pytest.raises(EntitleError) as refused:
        post(customer, f"/subscriptions/{pending}/addons", {"addon": "cloud_storage"})
    assert refused.value.rule == "R20"
    sid = active(customer)

    # Issue 15: not while the base subscription's invoice (the year, issued at activation) is unpaid.
    [base] = eventually(lambda: customer.call("billing", "GET", "/invoices"), what="the activation's invoice")
    api.settle()  # subscriptions has read billing's `invoice_state_changed` (open) by now
    with pytest.raises(EntitleError) as unpaid:
        post(customer, f"/subscriptions/{sid}/addons", {"addon": "cloud_storage"})
    assert (unpaid.value.status, unpaid.value.code, unpaid.value.rule) == (409, "base_not_paid", "R20")
    assert base["number"] in str(unpaid.value)

    received_on = datetime.fromisoformat(base["issued_at"]).date().isoformat()  # not after its due date
    payment = {"amount_minor": base["total"]["amount_minor"], "currency": "EUR", "received_on": received_on}
    api.call("billing", "POST", f"/ops/invoices/{base['invoice_id']}/payments", payment, idempotency_key=f"pay-{sid}")
    added = eventually(
        lambda: post(customer, f"/subscriptions/{sid}/addons", {"addon": "cloud_storage"}),
        what="the add-on accepted once subscriptions learnt the invoice is paid",
    )
    assert added["addons"] == ["cloud_storage"]
    with pytest.raises(EntitleError) as again:
        post(customer, f"/subscriptions/{sid}/addons", {"addon": "cloud_storage"})
    assert (again.value.status, again.value.rule) == (409, "R20")
