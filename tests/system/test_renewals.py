"""Renewals across services: subscriptions renews, billing charges the new term (R11, R16, R18, R32).

The stack and its clock are shared with the other system tests: every check is scoped to this
test's own customer, and the clock moves only as far as the rule needs.
"""

from __future__ import annotations

from datetime import datetime, timedelta

from devkit.client import EntitleClient, eventually
from opskit.topicreader import events_of


def renewals(stack, subscription_id: str) -> list[dict]:
    return [
        e["data"]
        for e in events_of(stack.config.bootstrap, "subscriptions.events.v1", subscription_id)
        if e["type"] == "subscription.renewed"
    ]


def invoices_with_lines(customer: EntitleClient) -> list[dict]:
    return [customer.invoice(i["invoice_id"]) for i in customer.invoices()]


def lines_of(customer: EntitleClient, subscription_id: str) -> list[dict]:
    return [
        line
        for invoice in invoices_with_lines(customer)
        for line in invoice["lines"]
        if line["subscription_id"] == subscription_id
    ]


def activated(customer: EntitleClient, quantity: int, **plan) -> dict:
    subscription = customer.purchase(quantity=quantity, **plan)
    return customer.accept(subscription["id"])


def until_term_end(api: EntitleClient, subscription: dict) -> None:
    now = datetime.fromisoformat(api.call("subscriptions", "GET", "/ops/clock")["now"])
    days = (datetime.fromisoformat(subscription["term_end"]) - now).days + 1
    api.advance_clock(days=days)


def test_R11_R30_a_monthly_subscription_renews_and_each_month_is_invoiced_on_the_1st(stack, api, customer):
    subscription = activated(customer, 2, billing_cycle="monthly")
    until_term_end(api, subscription)
    renewed = eventually(lambda: renewals(stack, subscription["id"]), what="subscription.renewed")[0]
    assert renewed["how"] == "automatic" and renewed["term_start"] == subscription["term_end"]
    api.advance_clock(days=31)  # past the next 1st: both monthly charges are invoiced by now
    charged = eventually(
        lambda: len(lines := lines_of(customer, subscription["id"])) >= 2 and lines, what="two monthly charges invoiced"
    )
    assert {line["amount"]["amount_minor"] for line in charged} == {2 * 3300}


def test_R32_every_invoice_total_is_the_exact_sum_of_its_lines(customer):
    activated(customer, 3, billing_cycle="annual", tier="premium")
    for invoice in eventually(lambda: invoices_with_lines(customer), what="an invoice"):
        assert invoice["net_total"]["amount_minor"] == sum(line["amount"]["amount_minor"] for line in invoice["lines"])
        assert invoice["total"]["amount_minor"] >= 0 or invoice["kind"] == "credit_note"


def test_R16_a_change_to_annual_applies_at_the_next_renewal_and_is_charged_up_front(stack, api, customer):
    subscription = activated(customer, 2, billing_cycle="monthly")
    sid = subscription["id"]
    customer.call("subscriptions", "POST", f"/subscriptions/{sid}/billing-cycle", {"billing_cycle": "annual"})
    assert customer.subscription(sid)["billing_cycle"] == "monthly"  # not before the renewal
    until_term_end(api, subscription)
    renewed = eventually(lambda: renewals(stack, sid), what="subscription.renewed")[0]
    assert renewed["billing_cycle"] == "annual"
    assert datetime.fromisoformat(renewed["term_end"]) - datetime.fromisoformat(renewed["term_start"]) >= timedelta(
        days=365
    )
    annual = eventually(
        lambda: [l for l in lines_of(customer, sid) if l["amount"]["amount_minor"] == 2 * 36500],
        what="the annual charge invoiced at once",
    )
    assert len(annual) == 1


def test_R18_R31_a_new_po_number_is_on_the_next_invoice(api, customer):
    subscription = activated(customer, 1, billing_cycle="annual", po_number="PO-OLD")
    sid = subscription["id"]
    first = eventually(lambda: invoices_with_lines(customer), what="the activation invoice")
    assert [i["po_number"] for i in first] == ["PO-OLD"]
    customer.call(
        "subscriptions",
        "PUT",
        f"/subscriptions/{sid}/purchase-details",
        {"po_number": "PO-NEW", "payment_method": "bank transfer"},
    )
    # The PO change travels on subscriptions' topic and the seat change on seats' topic, and
    # Kafka orders nothing across topics: billing must have read the change before the seats
    # move, as it would have when a person does the two steps.
    api.settle()
    customer.change_quantity(sid, 2)  # an annual addition is invoiced at once (R30)
    newest = eventually(lambda: len(found := invoices_with_lines(customer)) == 2 and found, what="a second invoice")
    assert sorted(i["po_number"] for i in newest) == ["PO-NEW", "PO-OLD"]
