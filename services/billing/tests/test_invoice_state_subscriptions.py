"""R20, issue 15: `billing.invoice_state_changed` names the subscriptions whose lines the
invoice carries, so subscriptions can refuse an add-on while the base subscription's invoices
are unpaid. On SQLite and PostgreSQL, with test_payments_api's invoices (a US buyer, no VAT,
issued on 20 February 2026, one annual subscription `s-<n>` each)."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from billing.settings import BillingSettings

from .conftest import OPERATOR
from .test_payments_api import issue_invoices


@pytest.fixture
def settings(operator_settings) -> BillingSettings:
    """On SQLite and PostgreSQL, with an operator token."""
    return operator_settings


async def state_changes(driver, after: int = 0) -> list[tuple[str, str, list[str]]]:
    """(invoice id, state, subscription ids) of each `billing.invoice_state_changed` published."""
    return [
        (e["data"]["invoice_id"], e["data"]["state"], e["data"]["subscription_ids"])
        for e in await driver.published("billing.invoice_state_changed")
    ][after:]


async def test_R20_an_issued_then_paid_invoice_names_the_subscription_it_charges(service, driver, clock, events):
    first, second = await issue_invoices(driver, clock, events, totals=(121000, 5000))
    assert await state_changes(driver) == [(first, "open", ["s-1"]), (second, "open", ["s-2"])]

    clock.set(datetime(2026, 3, 1, 12, 0, tzinfo=UTC))
    paid = await service.post(
        f"/ops/invoices/{second}/payments",
        json={"amount_minor": 5000, "currency": "EUR", "received_on": "2026-03-01"},
        headers={**OPERATOR, "Idempotency-Key": "pay-r20"},
    )
    assert paid.status_code == 201, paid.text
    assert await state_changes(driver, after=2) == [(second, "paid", ["s-2"])]


async def test_R20_an_invoice_voided_by_a_credit_note_names_the_subscription_it_charged(service, driver, clock, events):
    [invoice_id] = await issue_invoices(driver, clock, events, totals=(10000,))
    note = await service.post(
        f"/ops/invoices/{invoice_id}/credit-note",
        json={"reason": "ordered by mistake"},
        headers={**OPERATOR, "Idempotency-Key": "cn-r20"},
    )
    assert note.status_code == 201, note.text
    async with driver.uow() as uow:
        credit_note = await uow.invoices.get(note.json()["invoice_id"])
    assert {line.subscription_id for line in credit_note.lines} == {"s-1"}  # the note credits s-1's line
    assert await state_changes(driver, after=1) == [(invoice_id, "void", ["s-1"])]
