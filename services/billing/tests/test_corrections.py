"""Issue 15, item 7: an operator corrects an issued invoice with a credit note that references
it, on SQLite and PostgreSQL. The invoices are test_payments_api's five (a US buyer, no VAT:
1,210.00, 1,210.00, 100.00, 50.00 and 80.00 EUR, issued on 20 February 2026)."""

from __future__ import annotations

import pytest

from billing.settings import BillingSettings

from .test_payments_api import ADA, OPERATOR, issue_invoices


@pytest.fixture
def settings(operator_settings) -> BillingSettings:
    """On SQLite and PostgreSQL, with an operator token."""
    return operator_settings


async def credit(service, invoice_id: str, key: str, **body):
    return await service.post(
        f"/ops/invoices/{invoice_id}/credit-note",
        json={"reason": "wrong quantity", **body},
        headers={**OPERATOR, "Idempotency-Key": key},
    )


async def balance(service, invoice_id: str) -> tuple[str, int]:
    view = (
        await service.get(f"/invoices/{invoice_id}", headers={"Authorization": f"Bearer {service.driver.token(ADA)}"})
    ).json()
    return view["state"], view["open_amount"]["amount_minor"]


async def test_issue15_a_partial_then_a_full_credit_note_lower_what_the_invoice_owes_and_never_exceed_it(
    service, driver, clock, events
):
    ids = await issue_invoices(driver, clock, events)
    async with driver.uow() as uow:
        [line] = (await uow.invoices.get(ids[0])).lines

    partial = await credit(service, ids[0], "k-1", lines={line.line_id: 21000})
    assert partial.status_code == 201, partial.text
    note = partial.json()
    assert (note["number"], note["kind"], note["corrects"]) == (
        "BE-CN-2026-000001",
        "credit_note",
        "BE-INV-2026-000001",
    )
    assert note["total"]["amount_minor"] == -21000 and note["pay_to"] is None
    assert await balance(service, ids[0]) == ("open", 100000)

    again = await credit(service, ids[0], "k-1", lines={line.line_id: 21000})  # a retry: the same note
    assert again.status_code == 201 and again.json()["invoice_id"] == note["invoice_id"]

    too_much = await credit(service, ids[0], "k-2")  # every line in full: 1,210.00 more
    assert too_much.status_code == 409 and too_much.json()["code"] == "credit_exceeds_invoice"
    assert "1000.00 EUR left to credit" in too_much.json()["message"]

    rest = await credit(service, ids[0], "k-3", lines={line.line_id: 100000})
    assert rest.status_code == 201 and rest.json()["number"] == "BE-CN-2026-000002"
    assert await balance(service, ids[0]) == ("void", 0)  # credited in full, nothing paid


async def test_issue15_a_credit_note_cannot_be_credited_and_an_unknown_invoice_is_not_found(
    service, driver, clock, events
):
    ids = await issue_invoices(driver, clock, events, totals=(10000,))
    note = (await credit(service, ids[0], "k-1")).json()
    refused = await credit(service, note["invoice_id"], "k-2")
    assert refused.status_code == 409 and refused.json()["code"] == "not_creditable"
    assert (await credit(service, "no-such-invoice", "k-3")).status_code == 404
    assert (await service.post(f"/ops/invoices/{ids[0]}/credit-note", json={"reason": "x"})).status_code == 403
