"""Issue 15, item 5: what money does to an invoice, and which invoice a bank entry pays
(billing.domain.payments, pure).

Amounts are hand-computed: the invoice is 1,210.00 EUR (1,000.00 + 21 % VAT), due 4 February
2026; 500.00 then 710.00 pays it; 1,300.00 pays it with 90.00 unapplied."""

from __future__ import annotations

from dataclasses import replace
from datetime import date, timedelta

import pytest

from billing.domain import invoices, payments
from billing.domain.bank import BankEntry, Direction, Statement
from billing.domain.invoices import InvoiceKind
from billing.domain.payments import Balance, Ledger, Outcome, Payment, PaymentMethod, PaymentState
from billing.domain.subscriptions import SubscriptionView
from contracts.billing import InvoiceStateChanged, PaymentRecorded, PaymentReversed
from contracts.errors import RuleViolation

from .invoicing_kit import issue

DUE = date(2026, 2, 4)
BEFORE_DUE, AFTER_DUE = date(2026, 1, 20), date(2026, 2, 10)
NUMBER = "BE-INV-2026-000001"
REFERENCE = invoices.payment_reference(NUMBER)  # RF83BEINV2026000001
IBAN = "BE71096123456769"


def balance(total=121000, state=PaymentState.OPEN, paid=0, credited=0, number=NUMBER, invoice_id="inv-1") -> Balance:
    return Balance(invoice_id, number, "a-1", "EUR", total, DUE, state, paid, credited)


def paying(amount: int, on: date = BEFORE_DUE, payment_id="pay-1", currency="EUR", e2e=None) -> Payment:
    return Payment(payment_id, "inv-1", "a-1", amount, currency, PaymentMethod.BANK_TRANSFER, on, end_to_end_id=e2e)


def states(change) -> list[tuple[str | None, str]]:
    return [(e.previous, e.state) for e in change.events if isinstance(e, InvoiceStateChanged)]


def test_issue15_an_invoice_is_issued_open_and_a_credit_note_has_nothing_to_pay(events):
    view = SubscriptionView("s-1", "a-1")
    [draft] = invoices.group_lines(view.activate(events.activated(), "act-1"), {"s-1": view})
    invoice = issue(draft, "inv-1", 1, events.START)
    opened = payments.opened(invoice)
    assert (opened.balance.state, opened.balance.open_minor) == (PaymentState.OPEN, 73000 + 15330)  # 730.00 + 21 %
    [event] = opened.events
    assert (event.previous, event.state, event.open_amount.amount_minor, event.due_on) == (
        None,
        "open",
        88330,
        date(2026, 2, 4),
    )
    note = issue(invoices.credit_note_draft(invoice, "credit-1"), "cn-1", 1, events.START, corrects=invoice.number)
    assert note.kind is InvoiceKind.CREDIT_NOTE
    credited = payments.opened(note)
    assert (credited.balance.state, credited.balance.open_minor, credited.events) == (PaymentState.PAID, 0, ())


def test_issue15_a_partial_payment_then_the_rest_pays_the_invoice():
    part = payments.record_payment(balance(), paying(50000), BEFORE_DUE)
    assert (part.balance.state, part.balance.paid_minor, part.balance.open_minor) == (
        PaymentState.PARTIALLY_PAID,
        50000,
        71000,
    )
    recorded, _changed = part.events
    assert isinstance(recorded, PaymentRecorded) and recorded.amount.amount_minor == 50000
    assert states(part) == [("open", "partially_paid")]
    rest = payments.record_payment(part.balance, paying(71000, payment_id="pay-2"), BEFORE_DUE)
    assert (rest.balance.state, rest.balance.paid_minor, rest.balance.open_minor, rest.unapplied_minor) == (
        PaymentState.PAID,
        121000,
        0,
        0,
    )
    assert states(rest) == [("partially_paid", "paid")]
    [last_state] = [e for e in rest.events if isinstance(e, InvoiceStateChanged)]
    assert (last_state.paid.amount_minor, last_state.open_amount.amount_minor) == (121000, 0)


def test_issue15_an_over_payment_pays_the_invoice_and_reports_the_excess_unapplied():
    over = payments.record_payment(balance(), paying(130000), BEFORE_DUE)
    assert (over.balance.state, over.balance.open_minor, over.unapplied_minor) == (PaymentState.PAID, 0, 9000)
    again = payments.record_payment(over.balance, paying(1000, payment_id="pay-2"), BEFORE_DUE)
    assert (again.balance.state, again.unapplied_minor, states(again)) == (PaymentState.PAID, 1000, [])


def test_issue15_a_partial_payment_after_the_due_date_leaves_the_invoice_overdue():
    late = payments.record_payment(balance(), paying(50000, on=AFTER_DUE), AFTER_DUE)
    assert (late.balance.state, late.balance.open_minor) == (PaymentState.OVERDUE, 71000)


def test_issue15_a_payment_in_another_currency_or_to_a_void_invoice_is_refused():
    with pytest.raises(RuleViolation) as wrong:
        payments.record_payment(balance(), paying(121000, currency="USD"), BEFORE_DUE)
    assert wrong.value.code == "currency_mismatch"
    with pytest.raises(RuleViolation) as void:
        payments.record_payment(balance(state=PaymentState.VOID), paying(121000), BEFORE_DUE)
    assert void.value.code == "invoice_void"


def test_issue15_a_reversal_reopens_the_invoice_open_before_its_due_date_overdue_after():
    paid = payments.record_payment(balance(), paying(121000), BEFORE_DUE).balance
    before = payments.reverse_payment(paid, paying(121000), BEFORE_DUE, "AM04")
    assert (before.balance.state, before.balance.paid_minor, before.balance.open_minor) == (
        PaymentState.OPEN,
        0,
        121000,
    )
    reversed_, _ = before.events
    assert isinstance(reversed_, PaymentReversed) and reversed_.reason == "AM04"
    assert states(before) == [("paid", "open")]
    after = payments.reverse_payment(paid, paying(121000), AFTER_DUE, "MD06")
    assert (after.balance.state, states(after)) == (PaymentState.OVERDUE, [("paid", "overdue")])
    two = payments.record_payment(
        payments.record_payment(balance(), paying(50000), BEFORE_DUE).balance,
        paying(71000, payment_id="pay-2"),
        BEFORE_DUE,
    ).balance
    one_back = payments.reverse_payment(two, paying(71000, payment_id="pay-2"), BEFORE_DUE, "AM04")
    assert (one_back.balance.state, one_back.balance.open_minor) == (PaymentState.PARTIALLY_PAID, 71000)


def test_issue15_overdue_comes_the_day_after_the_due_date_only_for_open_or_partially_paid_invoices():
    assert payments.mark_overdue(balance(), DUE) is None
    late = payments.mark_overdue(balance(), DUE + timedelta(days=1))
    assert late is not None and (late.balance.state, states(late)) == (PaymentState.OVERDUE, [("open", "overdue")])
    partly = payments.mark_overdue(balance(state=PaymentState.PARTIALLY_PAID, paid=1), AFTER_DUE)
    assert partly is not None and partly.balance.state is PaymentState.OVERDUE
    for settled in (PaymentState.PAID, PaymentState.VOID, PaymentState.UNCOLLECTIBLE, PaymentState.OVERDUE):
        assert payments.mark_overdue(balance(state=settled), AFTER_DUE) is None


def test_issue15_a_write_off_needs_a_reason_and_an_unpaid_invoice_and_a_late_payment_still_pays_it():
    with pytest.raises(RuleViolation) as no_reason:
        payments.write_off(balance(), "  ")
    assert no_reason.value.code == "reason_required"
    with pytest.raises(RuleViolation) as paid:
        payments.write_off(balance(state=PaymentState.PAID, paid=121000), "bankrupt")
    assert paid.value.code == "invoice_paid"
    written = payments.write_off(balance(state=PaymentState.OVERDUE), " customer went bankrupt ")
    assert (written.balance.state, written.balance.reason) == (PaymentState.UNCOLLECTIBLE, "customer went bankrupt")
    [event] = written.events
    assert (event.previous, event.state, event.reason) == ("overdue", "uncollectible", "customer went bankrupt")
    part = payments.record_payment(written.balance, paying(21000, on=AFTER_DUE), AFTER_DUE)
    assert (part.balance.state, part.balance.open_minor) == (PaymentState.UNCOLLECTIBLE, 100000)
    rest = payments.record_payment(part.balance, paying(100000, on=AFTER_DUE, payment_id="p2"), AFTER_DUE)
    assert rest.balance.state is PaymentState.PAID


def test_issue15_void_only_while_nothing_is_paid_and_a_credit_note_clearing_an_unpaid_invoice_voids_it():
    with pytest.raises(RuleViolation) as has_payments:
        payments.void(balance(state=PaymentState.PARTIALLY_PAID, paid=100), "wrong customer")
    assert has_payments.value.code == "invoice_has_payments"
    part = payments.apply_credit_note(balance(), -21000, "BE-CN-2026-000001", BEFORE_DUE)
    assert (part.balance.state, part.balance.open_minor, part.events) == (PaymentState.OPEN, 100000, ())
    cleared = payments.apply_credit_note(part.balance, -100000, "BE-CN-2026-000002", BEFORE_DUE)
    assert (cleared.balance.state, cleared.balance.open_minor) == (PaymentState.VOID, 0)
    assert states(cleared) == [("open", "void")]
    partly_paid = balance(state=PaymentState.PARTIALLY_PAID, paid=50000)
    settled = payments.apply_credit_note(partly_paid, -71000, "BE-CN-2026-000003", BEFORE_DUE)
    assert (settled.balance.state, states(settled)) == (PaymentState.PAID, [("partially_paid", "paid")])


@pytest.mark.parametrize(
    "text",
    [
        REFERENCE,
        REFERENCE.lower(),
        "RF83 BEIN V202 6000 001",
        f"Invoice {REFERENCE} thank you",
        f"/RF/{REFERENCE}",
    ],
)
def test_issue15_an_rf_reference_is_found_compact_and_case_insensitive(text):
    assert REFERENCE in payments.rf_references(text)


def test_issue15_a_reference_with_wrong_check_digits_is_no_reference():
    assert payments.rf_references("RF84BEINV2026000001") == []
    assert payments.rf_references(None) == payments.rf_references("BE-INV-2026-000001") == []


def entry(entry_id, amount, reference=None, direction=Direction.CREDIT, e2e=None, reason=None, currency="EUR"):
    return BankEntry(entry_id, amount, currency, direction, BEFORE_DUE, None, reference, e2e, "Client SA", None, reason)


def ledger(*balances: Balance, seen=(), paid_by_e2e=None) -> Ledger:
    return Ledger(
        balances={b.invoice_id: b for b in balances},
        by_reference={invoices.payment_reference(b.number): b.invoice_id for b in balances},
        by_number={b.number: b.invoice_id for b in balances},
        payments_by_end_to_end=dict(paid_by_e2e or {}),
        seen_entry_ids=set(seen),
    )


def test_issue15_a_statement_pays_by_reference_then_number_then_amount_and_lists_the_rest():
    second = balance(number="BE-INV-2026-000002", invoice_id="inv-2")
    third = balance(total=10000, number="BE-INV-2026-000003", invoice_id="inv-3")
    fourth = balance(total=5000, number="BE-INV-2026-000004", invoice_id="inv-4")
    statement = Statement(
        "S-1",
        IBAN,
        "2026-01-20T18:00:00",
        (
            entry("e1", 50000, f"payment {REFERENCE.lower()}"),  # by reference: part of inv-1
            entry("e2", 10000, "BE-INV-2026-000003", e2e="BE-INV-2026-000003"),  # a collection: by number
            entry("e3", 5000, "thanks"),  # by amount: the one invoice open for 50.00
            entry("e4", 121000, "no reference"),  # inv-2 alone is open for 1,210.00 now (inv-1 owes 710.00)
            entry("e5", 7550, invoices.payment_reference("BE-INV-2026-000099")),  # names no invoice
            entry("e1", 50000, REFERENCE),  # the same bank reference again
            entry("old", 100, "seen in an earlier statement"),
        ),
    )
    done = payments.reconcile(statement, ledger(balance(), second, third, fourth, seen={"old"}))
    outcomes = [(d.entry.entry_id, d.outcome, d.invoice_id, d.state_after) for d in done.decisions]
    assert outcomes == [
        ("e1", Outcome.MATCHED, "inv-1", PaymentState.PARTIALLY_PAID),
        ("e2", Outcome.MATCHED, "inv-3", PaymentState.PAID),
        ("e3", Outcome.MATCHED, "inv-4", PaymentState.PAID),
        ("e4", Outcome.MATCHED, "inv-2", PaymentState.PAID),
        ("e5", Outcome.UNMATCHED, None, None),
        ("e1", Outcome.DUPLICATE, None, None),
        ("old", Outcome.DUPLICATE, None, None),
    ]
    assert [p.method for p in done.payments] == [
        PaymentMethod.BANK_TRANSFER,
        PaymentMethod.DIRECT_DEBIT,
        PaymentMethod.BANK_TRANSFER,
        PaymentMethod.BANK_TRANSFER,
    ]
    assert done.changed["inv-1"].open_minor == 71000
    assert "RF" in (done.decisions[4].note or "") and "names no invoice" in (done.decisions[4].note or "")
    assert len([e for e in done.events if isinstance(e, PaymentRecorded)]) == 4
    assert done.payments[0].payment_id == payments.payment_id_for(IBAN, "e1")  # the same entry, the same id


def test_issue15_an_amount_two_invoices_are_open_for_is_left_unmatched():
    twins = balance(), balance(number="BE-INV-2026-000002", invoice_id="inv-2")
    statement = Statement("S-1", IBAN, "", (entry("e1", 121000, "for our invoices"),))
    [decision] = payments.reconcile(statement, ledger(*twins)).decisions
    assert decision.outcome is Outcome.UNMATCHED and "2 invoices" in (decision.note or "")


def test_issue15_a_returned_direct_debit_reverses_its_payment_and_an_unknown_debit_is_unmatched():
    paid = balance(state=PaymentState.PAID, paid=121000)
    collected = replace(paying(121000, e2e=NUMBER), method=PaymentMethod.DIRECT_DEBIT)
    statement = Statement(
        "S-2",
        IBAN,
        "",
        (
            entry("r1", 121000, direction=Direction.DEBIT, e2e=NUMBER, reason="AM04"),
            entry("r2", 121000, direction=Direction.DEBIT, e2e=NUMBER, reason="AM04"),  # nothing left to return
            entry("fee", 250, "bank fees", direction=Direction.DEBIT),
        ),
    )
    done = payments.reconcile(statement, ledger(paid, paid_by_e2e={NUMBER: [collected]}))
    assert [(d.outcome, d.state_after) for d in done.decisions] == [
        (Outcome.REVERSAL, PaymentState.OPEN),
        (Outcome.UNMATCHED, None),
        (Outcome.UNMATCHED, None),
    ]
    [reversal] = done.reversals
    assert (reversal.reversed_on, reversal.reversal_reason) == (BEFORE_DUE, "AM04")
    assert done.changed["inv-1"].open_minor == 121000


def test_issue15_a_return_of_another_amount_than_the_payment_is_left_for_an_operator():
    collected = paying(121000, e2e=NUMBER)
    statement = Statement("S-2", IBAN, "", (entry("r1", 100, direction=Direction.DEBIT, e2e=NUMBER),))
    [decision] = payments.reconcile(
        statement, ledger(balance(state=PaymentState.PAID, paid=121000), paid_by_e2e={NUMBER: [collected]})
    ).decisions
    assert (decision.outcome, decision.invoice_id) == (Outcome.UNMATCHED, "inv-1")
