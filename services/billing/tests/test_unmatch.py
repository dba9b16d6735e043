"""Issue 15, item 5: an operator undoes a match that paid the wrong invoice, over billing's
routes on SQLite and PostgreSQL (`POST /ops/bank-entries/{entry_id}/unassignment`).

The step that matches a credit by its amount alone looks at every customer's invoices. Here
account a-2's invoice of 100.00 EUR was written off; a-2 pays it after all, quoting nothing,
and the one invoice open for exactly 100.00 is account a-1's: the import pays that one. The
operator undoes the match and assigns the entry to a-2's invoice.

Invoices are issued by the BE seller to buyers in the United States (no VAT: the total is the
net) on 20 February 2026, due 30 days later, on 22 March; the statement is of 5 March."""

from __future__ import annotations

from dataclasses import replace
from datetime import UTC, date, datetime, timedelta

import pytest
from sqlalchemy import func, select

from billing.domain import payments as payment_rules
from billing.domain.payments import Balance, Payment, PaymentMethod, PaymentState
from billing.handlers.buyers import billing_details_changed
from billing.settings import BillingSettings
from billing.store.tables import payments
from contracts import testing
from contracts.errors import RuleViolation
from contracts.parties import AccountBillingDetails, PostalAddress
from servicekit.http.auth import Caller

from .camt_kit import BE_ACCOUNT, camt_statement
from .conftest import OPERATOR

XML = {**OPERATOR, "Content-Type": "application/xml"}
ISSUED = datetime(2026, 2, 20, 9, 0, tzinfo=UTC)
DUE = date(2026, 3, 22)
STATEMENT_DAY = datetime(2026, 3, 5, 18, 0, tzinfo=UTC)
UNDONE_DAY = datetime(2026, 3, 6, 10, 0, tzinfo=UTC)
ADA = Caller(person_id="p-ada", account_id="a-1", email="ada@example.com", name="Ada")


@pytest.fixture
def settings(operator_settings) -> BillingSettings:
    """On SQLite and PostgreSQL, with an operator token."""
    return operator_settings


async def issue(driver, clock, events, *invoices: tuple[str, str, int]) -> list[str]:
    """(account, subscription, total) each invoiced on ISSUED to a US buyer; their ids in order."""
    for account in sorted({account for account, _, _ in invoices}):
        details = AccountBillingDetails(
            legal_name=f"Client {account} Inc",
            address=PostalAddress(line1="1 Main Street", postcode="10001", city="New York", country="US"),
        )
        async with driver.uow() as uow:
            await billing_details_changed(testing.billing_details_changed(account_id=account, details=details), uow)
            await uow.commit()
    clock.set(ISSUED)
    ids = []
    for account, sid, total in invoices:
        await driver.apply(*events.bought(sid=sid, account=account, quantity=1, price=total))
        async with driver.uow() as uow:
            [issued] = [i for i in await uow.invoices.of_account(account) if i.invoice_id not in ids]
        assert (issued.total.amount_minor, issued.due_on) == (total, DUE)
        ids.append(issued.invoice_id)
    return ids


async def import_(service, clock, entries, statement_id="KIT-STMT-20260305", at=STATEMENT_DAY) -> dict:
    clock.set(at)
    answer = await service.post(
        "/ops/bank-statements",
        content=camt_statement(entries, statement_id=statement_id, statement_date=at.date()),
        headers=XML,
    )
    assert answer.status_code == 200, answer.text
    return answer.json()


async def unassign(service, entry_id: str, reason: str = "paid by Client a-2 Inc, not a-1", **headers):
    return await service.post(
        f"/ops/bank-entries/{entry_id}/unassignment", json={"reason": reason}, headers={**OPERATOR, **headers}
    )


async def balance(driver, invoice_id: str) -> tuple[str, int, int]:
    async with driver.uow() as uow:
        found = await uow.payments.balance(invoice_id)
    assert found is not None
    return found.state.value, found.paid_minor, found.open_minor


async def entry(service, entry_id: str) -> dict:
    listed = await service.get("/ops/bank-entries?limit=100", headers=OPERATOR)
    assert listed.status_code == 200, listed.text
    [found] = [e for e in listed.json() if e["entry_id"] == entry_id]
    return found


async def payment_rows(driver) -> int:
    async with driver.runtime.db.connect() as conn:
        return (await conn.execute(select(func.count()).select_from(payments))).scalar_one()


async def wrong_match(service, driver, clock, events) -> tuple[str, str, str]:
    """a-1's invoice (100.00) paid by a-2's transfer for its written-off invoice of 100.00; a-1's
    other invoice paid by its RF reference, and an unknown credit, in the same statement.
    Returns the ids of a-1's invoice, a-2's, and a-1's other one."""
    wronged, right, other = await issue(
        driver, clock, events, ("a-1", "s-1", 10000), ("a-2", "s-2", 10000), ("a-1", "s-3", 5000)
    )
    clock.set(datetime(2026, 3, 1, 9, 0, tzinfo=UTC))
    written = await service.post(f"/ops/invoices/{right}/write-off", json={"reason": "unreachable"}, headers=OPERATOR)
    assert written.status_code == 200, written.text
    async with driver.uow() as uow:
        other_reference = (await uow.invoices.get(other)).payment_reference
    summary = await import_(
        service,
        clock,
        [
            {"amount_minor": 10000, "acct_svcr_ref": "B-1", "reference": "invoice", "debtor_name": "Client a-2 Inc"},
            {"amount_minor": 5000, "acct_svcr_ref": "B-2", "reference": other_reference},
            {"amount_minor": 7550, "acct_svcr_ref": "B-3", "reference": "who knows"},
        ],
    )
    assert [(m["entry_id"], m["invoice_number"]) for m in summary["matched"]] == [
        ("B-1", "BE-INV-2026-000001"),  # a-1's: the one invoice open for 100.00
        ("B-2", "BE-INV-2026-000003"),
    ]
    assert await balance(driver, wronged) == ("paid", 10000, 0)
    return wronged, right, other


async def test_issue15_an_amount_only_match_to_another_customers_invoice_is_undone_then_assigned_to_the_right_one(
    service, driver, clock, events
):
    wronged, right, other = await wrong_match(service, driver, clock, events)
    clock.set(UNDONE_DAY)
    before = len(await driver.published())
    other_entries = [await entry(service, "B-2"), await entry(service, "B-3")]

    undone = await unassign(service, "B-1")

    assert undone.status_code == 200, undone.text
    body = undone.json()
    assert (body["entry"]["outcome"], body["entry"]["invoice_id"], body["entry"]["payment_id"]) == (
        "unmatched",
        None,
        None,
    )
    note = body["entry"]["note"]
    assert "BE-INV-2026-000001" in note and "2026-03-06" in note and "paid by Client a-2 Inc, not a-1" in note
    assert (body["invoice"]["number"], body["invoice"]["state"], body["invoice"]["open_amount"]["amount_minor"]) == (
        "BE-INV-2026-000001",
        "open",  # before its due date
        10000,
    )
    [reversed_payment] = body["invoice"]["payments"]
    assert (reversed_payment["reversed_on"], reversed_payment["reversal_reason"]) == ("2026-03-06", "unassigned")
    assert await balance(driver, wronged) == ("open", 0, 10000)
    published = (await driver.published())[before:]
    assert [e["type"] for e in published] == ["billing.payment_reversed", "billing.invoice_state_changed"]
    gone, changed = (e["data"] for e in published)
    assert (gone["payment_id"], gone["invoice_id"], gone["account_id"]) == (
        reversed_payment["payment_id"],
        wronged,
        "a-1",
    )
    assert (gone["amount"]["amount_minor"], gone["reason"], gone["reversed_on"]) == (10000, "unassigned", "2026-03-06")
    assert (changed["previous"], changed["state"], changed["open_amount"]["amount_minor"]) == ("paid", "open", 10000)
    assert "a-2" not in changed["reason"]  # the operator's words stay on the entry, not in a-1's events
    assert [await entry(service, "B-2"), await entry(service, "B-3")] == other_entries
    assert await balance(driver, other) == ("paid", 5000, 0)
    unmatched = await service.get("/ops/bank-entries?outcome=unmatched", headers=OPERATOR)
    assert [e["entry_id"] for e in unmatched.json()] == ["B-1", "B-3"]

    assigned = await service.post("/ops/bank-entries/B-1/assignment", json={"invoice_id": right}, headers=OPERATOR)

    assert assigned.status_code == 200, assigned.text
    assert (assigned.json()["entry"]["outcome"], assigned.json()["invoice"]["state"]) == ("assigned", "paid")
    assert await balance(driver, right) == ("paid", 10000, 0)  # written off, then paid after all
    assert await balance(driver, wronged) == ("open", 0, 10000)
    [recorded] = [e["data"] for e in await driver.published("billing.payment_recorded")][-1:]
    assert (recorded["invoice_id"], recorded["account_id"], recorded["bank_entry_id"]) == (right, "a-2", "B-1")
    assert recorded["payment_id"] != reversed_payment["payment_id"]  # the reversed one keeps its own
    assert await payment_rows(driver) == 3  # B-1 to a-1 (reversed), B-2, B-1 to a-2


async def test_issue15_a_match_undone_after_the_due_date_makes_the_invoice_overdue_and_dunning_begins(
    service, driver, clock, events
):
    wronged, _, _ = await wrong_match(service, driver, clock, events)
    clock.set(datetime(2026, 3, 27, 10, 0, tzinfo=UTC))  # 5 days past the due date

    undone = await unassign(service, "B-1")

    assert undone.status_code == 200, undone.text
    assert await balance(driver, wronged) == ("overdue", 0, 10000)
    [changed] = [e["data"] for e in await driver.published("billing.invoice_state_changed")][-1:]
    assert (changed["invoice_id"], changed["previous"], changed["state"]) == (wronged, "paid", "overdue")
    # The dunning episode of the payment reversed, as for a bank return: its plan is due now.
    assert f"dunning:{wronged}:1:plan" in [job for job, _ in await driver.pending_jobs()]
    fired = await driver.fire_due()
    reminders = [e["data"] for e in fired if e["type"] == "billing.payment_reminder_due"]
    assert [r["invoice_id"] for r in reminders] == [wronged]  # day 3 is past: its reminder comes at once


async def test_issue15_only_a_credit_that_paid_an_invoice_can_be_unassigned(service, driver, clock, events):
    [invoice_id] = await issue(driver, clock, events, ("a-1", "s-1", 10000))
    async with driver.uow() as uow:
        number = (await uow.invoices.get(invoice_id)).number
    await import_(
        service,
        clock,
        [
            {"amount_minor": 7550, "acct_svcr_ref": "U-1", "reference": "who knows"},
            {"amount_minor": 1500, "direction": "debit", "acct_svcr_ref": "FEE-1", "reference": "fees"},
            {"amount_minor": 7550, "acct_svcr_ref": "U-1", "reference": "who knows"},  # a duplicate
        ],
    )
    for entry_id in ("U-1", "FEE-1"):
        refused = await unassign(service, entry_id)
        assert (refused.status_code, refused.json()["code"]) == (409, "entry_not_matched"), entry_id
    unknown = await unassign(service, "NOPE")
    assert (unknown.status_code, unknown.json()["code"]) == (404, "bank_entry_not_found")
    for reason in (" ", "two\nlines"):
        refused = await unassign(service, "U-1", reason=reason)
        assert (refused.status_code, refused.json()["code"]) == (422, "invalid_request"), reason

    # A collection the bank returned: its invoice is open again already, and stays so once.
    await import_(
        service,
        clock,
        [{"amount_minor": 10000, "acct_svcr_ref": "DD-1", "end_to_end_id": number, "mandate_id": "M-1"}],
        statement_id="KIT-STMT-20260306",
        at=datetime(2026, 3, 6, 18, 0, tzinfo=UTC),
    )
    summary = await import_(
        service,
        clock,
        [
            {
                "amount_minor": 10000,
                "direction": "debit",
                "acct_svcr_ref": "DD-1-R",
                "end_to_end_id": number,
                "return_reason": "AM04",
            }
        ],
        statement_id="KIT-STMT-20260309",
        at=datetime(2026, 3, 9, 18, 0, tzinfo=UTC),
    )
    assert [r["entry_id"] for r in summary["reversals"]] == ["DD-1-R"]
    events_before = len(await driver.published())
    for entry_id in ("DD-1", "DD-1-R"):
        refused = await unassign(service, entry_id)
        assert (refused.status_code, refused.json()["code"]) == (409, "entry_not_matched"), entry_id
    assert "returned on 2026-03-09" in (await unassign(service, "DD-1")).json()["message"]
    assert len(await driver.published()) == events_before
    assert len(await driver.published("billing.payment_reversed")) == 1
    assert await balance(driver, invoice_id) == ("open", 0, 10000)
    assert (await entry(service, "DD-1"))["outcome"] == "matched"


async def test_issue15_an_unassignment_is_done_once_a_retry_with_its_key_answers_the_same(
    service, driver, clock, events
):
    """An assigned entry is unassigned as a matched one is; a second unassignment is refused."""
    [invoice_id] = await issue(driver, clock, events, ("a-1", "s-1", 10000))
    await import_(service, clock, [{"amount_minor": 4000, "acct_svcr_ref": "A-1", "reference": "order 4711"}])
    assigned = await service.post("/ops/bank-entries/A-1/assignment", json={"invoice_id": invoice_id}, headers=OPERATOR)
    assert assigned.json()["invoice"]["state"] == "partially_paid"
    clock.set(UNDONE_DAY)

    first = await unassign(service, "A-1", **{"Idempotency-Key": "undo-A-1"})
    replay = await unassign(service, "A-1", **{"Idempotency-Key": "undo-A-1"})
    again = await unassign(service, "A-1", **{"Idempotency-Key": "undo-A-1-again"})

    assert (first.status_code, replay.status_code, replay.headers.get("Idempotent-Replayed")) == (200, 200, "true")
    assert replay.json() == first.json()
    assert (first.json()["entry"]["outcome"], first.json()["invoice"]["state"]) == ("unmatched", "open")
    assert (again.status_code, again.json()["code"]) == (409, "entry_not_matched")
    assert len(await driver.published("billing.payment_reversed")) == 1
    assert await balance(driver, invoice_id) == ("open", 0, 10000)

    # Assigned again, undone again: each time a payment of its own.
    for _ in range(2):
        paid = await service.post("/ops/bank-entries/A-1/assignment", json={"invoice_id": invoice_id}, headers=OPERATOR)
        assert paid.status_code == 200, paid.text
        assert (await unassign(service, "A-1")).status_code == 200
    assert (await unassign(service, "A-1")).status_code == 409  # nothing left to undo
    async with driver.uow() as uow:
        made = await uow.payments.of_invoice(invoice_id)
    assert len({p.payment_id for p in made}) == len(made) == 3 and all(p.reversed_on for p in made)

    # A return and an unassignment committing side by side: the later one finds the payment
    # reversed already and is refused whole, rather than taking it back twice.
    async with driver.uow() as uow:
        with pytest.raises(RuleViolation, match="reversed meanwhile"):
            await uow.payments.mark_reversed(made[:1])


async def test_issue15_unassignment_needs_the_operator_token_and_is_documented(service, driver, clock, events):
    wronged, _, _ = await wrong_match(service, driver, clock, events)
    for headers in ({"X-Operator-Token": "wrong"}, {"Authorization": f"Bearer {driver.token(ADA)}"}):
        answer = await service.post("/ops/bank-entries/B-1/unassignment", json={"reason": "no"}, headers=headers)
        assert answer.status_code == 403, headers
    assert await balance(driver, wronged) == ("paid", 10000, 0)
    schema = (await service.get("/openapi.json")).json()
    operation = schema["paths"]["/ops/bank-entries/{entry_id}/unassignment"]["post"]
    assert "Operators only" in operation["description"] and "403" in operation["responses"]


def test_issue15_undoing_a_match_reverses_its_payment_once_and_the_entry_pays_again_under_a_new_id():
    """The rules alone: a returned payment is not reversed again; the entry's first payment id
    is the one it always had, the next ones new."""
    paid = Balance("i-1", "BE-INV-2026-000001", "a-1", "EUR", 10000, DUE, PaymentState.PAID, paid_minor=10000)
    payment = Payment(
        payment_rules.payment_id_for(BE_ACCOUNT, "B-1"), "i-1", "a-1", 10000, "EUR", PaymentMethod.BANK_TRANSFER, DUE
    )
    after_due = payment_rules.undo_match(paid, payment, DUE + timedelta(days=1), "B-1")
    assert (after_due.balance.state, after_due.balance.open_minor) == (PaymentState.OVERDUE, 10000)
    assert [type(e).__name__ for e in after_due.events] == ["PaymentReversed", "InvoiceStateChanged"]
    with pytest.raises(RuleViolation) as refused:
        payment_rules.undo_match(paid, replace(payment, reversed_on=DUE), DUE, "B-1")
    assert refused.value.code == "entry_not_matched"
    ids = payment_rules.payment_ids_for(BE_ACCOUNT, "B-1", 0, 3)
    assert ids[0] == payment.payment_id and len(set(ids)) == 3
    assert payment_rules.payment_ids_for(BE_ACCOUNT, "B-1", 2, 1) == ids[2:]
