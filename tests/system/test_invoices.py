"""Invoices over the real stack (R29–R32): issued at once for annual terms, on the 1st for monthly ones.

The stack and its clock are shared with the other system tests: every check is scoped to
this test's own customer, and the clock moves at most to the next 1st of the month.
"""

from __future__ import annotations

from datetime import UTC, datetime

import httpx
import pytest

from devkit.client import EntitleError, eventually
from opskit.topicreader import events_of


def invoices(customer) -> list[dict]:
    return customer.call("billing", "GET", "/invoices")


def invoice(customer, invoice_id: str) -> dict:
    return customer.call("billing", "GET", f"/invoices/{invoice_id}")


def billing_events(stack, account_id: str, event_type: str) -> list[dict]:
    return [e for e in events_of(stack.config.bootstrap, "billing.events.v1", account_id) if e["type"] == event_type]


def first_of_next_month(at: datetime) -> datetime:
    year, month = (at.year + 1, 1) if at.month == 12 else (at.year, at.month + 1)
    return datetime(year, month, 1, tzinfo=UTC)


def activated(customer, quantity: int, **plan) -> str:
    sid = customer.purchase(quantity=quantity, **plan)["id"]
    customer.accept(sid)
    return sid


def test_R30_an_annual_activation_is_invoiced_at_once_with_the_years_charge(stack, customer):
    sid = activated(customer, quantity=3)
    [summary] = eventually(lambda: invoices(customer), what="invoice of the activation")
    issued = invoice(customer, summary["invoice_id"])
    assert summary["number"].startswith("BE-INV-") and summary["kind"] == "invoice"
    [line] = issued["lines"]
    assert (line["subscription_id"], line["kind"], line["quantity_delta"]) == (sid, "term", 3)
    assert issued["net_total"] == line["amount"] == {"amount_minor": 3 * 36500, "currency": "EUR"}
    # No billing details given: the default seller (BE) at its domestic rate, 21 %.
    assert issued["vat"] == [
        {
            "category": "S",
            "rate": "21",
            "taxable": {"amount_minor": 3 * 36500, "currency": "EUR"},
            "tax": {"amount_minor": 22995, "currency": "EUR"},
        }
    ]
    assert issued["total"]["amount_minor"] == 3 * 36500 + 22995

    [event] = eventually(
        lambda: billing_events(stack, issued["account_id"], "billing.invoice_issued"),
        what="billing.invoice_issued published",
    )
    data = event["data"]
    assert (data["number"], data["total"], data["url"]) == (summary["number"], issued["total"], summary["url"])
    assert data["url"].endswith(f"/invoices/{summary['invoice_id']}")


def test_R29_R30_an_annual_seat_increase_is_invoiced_at_once_and_the_invoice_reads_as_html(stack, api, customer):
    sid = activated(customer, quantity=2)
    eventually(lambda: customer.seats(sid)["status"] == "unlocked", what="unlocked")
    customer.change_quantity(sid, 4)
    found = eventually(
        lambda: (lambda all_: all_ if len(all_) == 2 else None)(invoices(customer)),
        what="two invoices: the term and the added seats",
    )
    newest = invoice(customer, found[0]["invoice_id"])
    assert [l["kind"] for l in newest["lines"]] == ["seats"]
    assert newest["net_total"]["amount_minor"] == newest["lines"][0]["amount"]["amount_minor"] > 0

    url = f"{customer.urls['billing']}/invoices/{newest['invoice_id']}"
    page = httpx.get(url + ".html", headers={"Authorization": f"Bearer {customer.token}"})
    negotiated = httpx.get(url, headers={"Authorization": f"Bearer {customer.token}", "Accept": "text/html"})
    assert page.status_code == negotiated.status_code == 200
    assert newest["number"] in page.text and "2 seat(s) added" in page.text
    assert page.text == negotiated.text

    stranger = api.new_customer("Eve Other")
    with pytest.raises(EntitleError) as refused:
        invoice(stranger, newest["invoice_id"])
    assert refused.value.status == 404


def test_R30_monthly_lines_wait_for_the_1st_of_the_next_month(stack, api, customer):
    sid = activated(customer, quantity=2, billing_cycle="monthly")
    eventually(lambda: invoices(customer) == [], what="billing knows the subscription")  # 403 until then
    assert customer.subscription(sid)["status"] == "active"

    now = datetime.fromisoformat(customer.call("billing", "GET", "/ops/clock")["now"])
    run_at = first_of_next_month(now)
    api.advance_clock(seconds=int((run_at - now).total_seconds()))
    [summary] = eventually(lambda: invoices(customer), what="the monthly run's invoice")
    issued = invoice(customer, summary["invoice_id"])
    assert datetime.fromisoformat(issued["issued_at"]).astimezone(UTC) == run_at
    assert [(l["subscription_id"], l["kind"], l["quantity_delta"]) for l in issued["lines"]] == [(sid, "term", 2)]
    assert issued["net_total"] == issued["lines"][0]["amount"]


def test_R6_invoices_are_only_for_an_administrator_of_the_account(api):
    newcomer = api.new_customer("Nobody Yet")
    with pytest.raises(EntitleError) as refused:
        invoices(newcomer)
    assert (refused.value.status, refused.value.rule) == (403, "R6")


def test_R12_R29_a_tier_change_is_invoiced_as_the_credit_and_charge_of_its_preview(stack, customer):
    sid = activated(customer, quantity=2, tier="premium")
    eventually(lambda: invoices(customer), what="invoice of the activation")
    path = f"/subscriptions/{sid}"
    preview = customer.call("subscriptions", "GET", f"{path}/tier-change-preview?tier=premium_plus")
    amendment = customer.call("subscriptions", "POST", f"{path}/amendments", {"tier": "premium_plus"})
    customer.call("subscriptions", "POST", f"{path}/amendments/{amendment['id']}/acceptance")

    found = eventually(
        lambda: (lambda all_: all_ if len(all_) == 2 else None)(invoices(customer)), what="the tier change's invoice"
    )
    issued = invoice(customer, found[0]["invoice_id"])
    by_kind = {line["kind"]: line["amount"] for line in issued["lines"]}
    assert by_kind == {"tier_credit": preview["credit"], "tier_charge": preview["charge"]}
    assert issued["net_total"] == preview["net"]


def pay(api, summary: dict) -> None:
    """An operator records the invoice paid in full, on the day it was issued (never after its due date)."""
    received_on = datetime.fromisoformat(summary["issued_at"]).astimezone(UTC).date()
    api.call(
        "billing",
        "POST",
        f"/ops/invoices/{summary['invoice_id']}/payments",
        {"amount_minor": summary["total"]["amount_minor"], "currency": "EUR", "received_on": received_on.isoformat()},
        idempotency_key=f"pay-{summary['invoice_id']}",
    )


def test_R31_the_invoice_carries_the_po_number_in_force_when_issued(stack, api, customer):
    sid = activated(customer, quantity=1, po_number="PO-A-1")
    [first] = eventually(lambda: invoices(customer), what="invoice of the activation")
    assert first["po_number"] == "PO-A-1"
    pay(api, first)  # R20, issue 15: an add-on only once the base subscription's invoices are paid

    # Both on subscriptions.events.v1, keyed by the subscription: billing sees them in order.
    customer.call("subscriptions", "PUT", f"/subscriptions/{sid}/purchase-details", {"po_number": "PO-B-2"})
    eventually(
        lambda: customer.call("subscriptions", "POST", f"/subscriptions/{sid}/addons", {"addon": "cloud_storage"}),
        what="the add-on accepted once subscriptions learnt the invoice is paid",
    )
    found = eventually(
        lambda: (lambda all_: all_ if len(all_) == 2 else None)(invoices(customer)), what="the add-on's invoice"
    )
    assert [i["po_number"] for i in found] == ["PO-B-2", "PO-A-1"]
    assert [l["kind"] for l in invoice(customer, found[0]["invoice_id"])["lines"]] == ["addon"]
