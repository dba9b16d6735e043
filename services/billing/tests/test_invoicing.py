"""Grouping, numbering and credit notes (R30, R31, R32)."""

from datetime import UTC, datetime, timedelta

from billing.domain import invoices
from billing.domain.invoices import InvoiceKind
from billing.domain.subscriptions import SubscriptionView
from contracts.values import BillingCycle

from .invoicing_kit import issue


def activated_view(events, sid, account="a-1", po=None, cycle=BillingCycle.ANNUAL):
    view = SubscriptionView(sid, account)
    lines = view.activate(events.activated(sid=sid, account=account, po=po, cycle=cycle), f"act-{sid}")
    return view, lines


def test_R30_annual_lines_are_due_at_once_monthly_lines_wait(events):
    annual, annual_lines = activated_view(events, "s-1")
    monthly, monthly_lines = activated_view(events, "s-2", cycle=BillingCycle.MONTHLY)
    assert invoices.due_at_once(annual_lines, annual) == annual_lines
    assert invoices.due_at_once(monthly_lines, monthly) == []


def test_R30_a_line_made_before_the_cycle_was_known_follows_the_cycle_learnt_later(events):
    view = SubscriptionView("s-1", "a-1")
    early = view.change_quantity(events.seats_changed(2, 3, events.START + timedelta(days=2)), "ev")
    view.activate(events.activated(), "act")
    assert invoices.due_at_once(early, view) == early


def test_R30_the_monthly_run_is_on_the_1st_at_midnight_utc_and_takes_lines_before_it(events):
    assert invoices.first_of_next_month(datetime(2026, 1, 31, 23, 59, tzinfo=UTC)) == datetime(2026, 2, 1, tzinfo=UTC)
    assert invoices.first_of_next_month(datetime(2026, 12, 5, tzinfo=UTC)) == datetime(2027, 1, 1, tzinfo=UTC)
    _view, lines = activated_view(events, "s-1", cycle=BillingCycle.MONTHLY)
    assert invoices.due_for_monthly_run(lines, datetime(2026, 2, 1, tzinfo=UTC)) == lines
    assert invoices.due_for_monthly_run(lines, datetime(2026, 1, 1, tzinfo=UTC)) == []
    assert invoices.monthly_run_job_id(datetime(2026, 2, 1, tzinfo=UTC)) == "monthly_invoicing:2026-02"


def test_R31_lines_of_different_po_numbers_go_on_different_invoices(events):
    first, first_lines = activated_view(events, "s-1", po="PO-A")
    second, second_lines = activated_view(events, "s-2", po="PO-B")
    third, third_lines = activated_view(events, "s-3", po="PO-A")
    drafts = invoices.group_lines(
        first_lines + second_lines + third_lines, {v.subscription_id: v for v in (first, second, third)}
    )
    assert sorted((d.po_number, len(d.lines)) for d in drafts) == [("PO-A", 2), ("PO-B", 1)]


def test_R31_the_invoice_carries_the_po_number_in_force_when_issued(events):
    view, lines = activated_view(events, "s-1", po="PO-OLD")
    view.change_purchase_details(events.po_changed("PO-NEW", events.START + timedelta(days=1)))
    [draft] = invoices.group_lines(lines, {"s-1": view})
    assert draft.po_number == "PO-NEW"


def test_R31_invoices_are_per_account(events):
    first, first_lines = activated_view(events, "s-1", account="a-1")
    second, second_lines = activated_view(events, "s-2", account="a-2")
    drafts = invoices.group_lines(first_lines + second_lines, {"s-1": first, "s-2": second})
    assert sorted(d.account_id for d in drafts) == ["a-1", "a-2"]


def test_R32_lines_summing_below_zero_are_a_credit_note_never_a_negative_invoice(events):
    view, _ = activated_view(events, "s-1")
    view.unit_price = events.eur(109500)
    credit, charge = view.change_tier(
        events.tier_changed(events.START + timedelta(days=181), old=109500, new=73000), "ev-tier"
    )
    [draft] = invoices.group_lines([credit, charge], {"s-1": view})
    assert draft.total.amount_minor == credit.amount.amount_minor + charge.amount.amount_minor < 0
    issued = issue(draft, "inv-1", 7, events.START)
    assert (issued.kind, issued.number) == (InvoiceKind.CREDIT_NOTE, "BE-CN-2026-000007")


def test_R32_invoice_numbers_are_a_series_per_kind_and_year(events):
    view, lines = activated_view(events, "s-1")
    [draft] = invoices.group_lines(lines, {"s-1": view})
    issued = issue(draft, "inv-1", 42, datetime(2027, 3, 1, tzinfo=UTC))
    assert (issued.kind, issued.number) == (InvoiceKind.INVOICE, "BE-INV-2027-000042")
    assert invoices.counter_name("BE", InvoiceKind.CREDIT_NOTE, issued.issued_at) == "BE-CN-2027"
    assert all(line.invoice_id == "inv-1" for line in issued.lines)
    assert issued.net_total.amount_minor == sum(line.amount.amount_minor for line in issued.lines)


def test_R32_a_line_of_a_subscription_without_a_known_administrator_waits(events):
    view = SubscriptionView("s-1", "a-1")
    lines = view.change_quantity(events.seats_changed(2, 3, events.START + timedelta(days=2)), "ev")
    assert invoices.group_lines(lines, {"s-1": view}) == []


def test_R32_invoice_ids_are_derived_from_what_issued_them(events):
    view, lines = activated_view(events, "s-1")
    [draft] = invoices.group_lines(lines, {"s-1": view})
    assert invoices.invoice_id_for("ev-1", draft) == invoices.invoice_id_for("ev-1", draft)
    assert invoices.invoice_id_for("ev-1", draft) != invoices.invoice_id_for("ev-2", draft)
