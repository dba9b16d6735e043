"""Issue 15, item 7: invoices and payments of a period as CSV for the vendor's accounting, on
SQLite and PostgreSQL. The invoices are the five of test_payments_api (a US buyer, no VAT):
1,210.00, 1,210.00, 100.00, 50.00 and 80.00 EUR issued on 20 February 2026."""

from __future__ import annotations

import csv
import io
from datetime import UTC, datetime

import pytest

from billing.adapters.exports import INVOICE_COLUMNS, PAYMENT_COLUMNS, decimal, text
from billing.api import exports
from billing.settings import BillingSettings

from .test_payments_api import OPERATOR, issue_invoices


@pytest.fixture
def settings(operator_settings) -> BillingSettings:
    """On SQLite and PostgreSQL, with an operator token."""
    return operator_settings


FEBRUARY = {"from": "2026-02-01", "to": "2026-02-28"}


def rows_of(answer) -> list[dict[str, str]]:
    assert answer.status_code == 200, answer.text
    assert answer.headers["content-type"].startswith("text/csv")
    return list(csv.DictReader(io.StringIO(answer.text)))


async def test_issue15_the_invoices_of_a_period_export_with_amounts_states_and_safe_text(
    service, driver, clock, events, monkeypatch
):
    ids = await issue_invoices(driver, clock, events)
    clock.set(datetime(2026, 2, 26, 9, 0, tzinfo=UTC))
    paid = await service.post(
        f"/ops/invoices/{ids[0]}/payments",
        json={"amount_minor": 121000, "currency": "EUR", "received_on": "2026-02-25", "note": "=HYPERLINK(1)"},
        headers={**OPERATOR, "Idempotency-Key": "k-1"},
    )
    assert paid.status_code == 201, paid.text
    monkeypatch.setattr(exports, "ROWS_PER_READ", 2)  # three reads: the pages join up in order

    invoices = rows_of(await service.get("/ops/exports/invoices.csv", params=FEBRUARY, headers=OPERATOR))

    assert tuple(invoices[0]) == INVOICE_COLUMNS
    assert [(r["number"], r["total"], r["state"], r["open"]) for r in invoices] == [
        ("BE-INV-2026-000001", "1210.00", "paid", "0.00"),
        ("BE-INV-2026-000002", "1210.00", "open", "1210.00"),
        ("BE-INV-2026-000003", "100.00", "open", "100.00"),
        ("BE-INV-2026-000004", "50.00", "open", "50.00"),
        ("BE-INV-2026-000005", "80.00", "open", "80.00"),
    ]
    first = invoices[0]
    assert (first["issued_on"], first["due_on"], first["seller"], first["buyer"]) == (
        "2026-02-20",
        "2026-03-22",
        "BE",
        "Client Inc",
    )
    assert first["buyer_country"] == "US" and first["vat"] == "0.00" and first["net"] == "1210.00"

    payments = rows_of(await service.get("/ops/exports/payments.csv", params=FEBRUARY, headers=OPERATOR))
    assert tuple(payments[0]) == PAYMENT_COLUMNS
    [payment] = payments
    assert (payment["invoice_number"], payment["amount"], payment["method"]) == (
        "BE-INV-2026-000001",
        "1210.00",
        "manual",
    )
    assert payment["note"] == "'=HYPERLINK(1)"  # a spreadsheet shows it, never runs it

    march = await service.get(
        "/ops/exports/invoices.csv", params={"from": "2026-03-01", "to": "2026-03-31"}, headers=OPERATOR
    )
    assert rows_of(march) == []


@pytest.mark.parametrize(
    ("period", "code"),
    [
        ({"from": "2026-02-28", "to": "2026-02-01"}, "invalid_period"),
        ({"from": "2025-01-01", "to": "2026-01-02"}, "period_too_long"),
    ],
)
async def test_issue15_an_export_refuses_a_backwards_or_too_long_period(service, period, code):
    answer = await service.get("/ops/exports/payments.csv", params=period, headers=OPERATOR)
    assert answer.status_code == 422 and answer.json()["code"] == code


async def test_issue15_exports_are_for_operators_only(service):
    for path in ("/ops/exports/invoices.csv", "/ops/exports/payments.csv"):
        assert (await service.get(path, params=FEBRUARY)).status_code == 403
        assert (await service.get(path, params=FEBRUARY, headers={"X-Operator-Token": "wrong"})).status_code == 403


def test_issue15_amounts_follow_the_currency_s_decimals_and_text_never_starts_a_formula():
    assert (decimal(-73600, "EUR"), decimal(5, "EUR"), decimal(1500, "JPY")) == ("-736.00", "0.05", "1500")
    assert [text(v) for v in ("+32 2", "-x", "@SUM", "\tA", "Client SA", None)] == [
        "'+32 2",
        "'-x",
        "'@SUM",
        "'\tA",
        "Client SA",
        "",
    ]
