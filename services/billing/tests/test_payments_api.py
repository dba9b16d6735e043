"""Issue 15, items 5 and 7, over billing's routes and handlers on SQLite and PostgreSQL: a bank
statement imported (the camt.053 sample of tests/fixtures/camt, whose README says what each
entry pays), what it could not match listed and assigned, returns reopening invoices, the
overdue check on the test clock, payments recorded by hand, write-offs, and the operator token.

The invoices are issued by the BE seller to a buyer in the United States (no VAT: the total
is the net), so their totals are the sample's: 1,210.00, 1,210.00, 100.00, 50.00 and 80.00 EUR,
issued on 20 February 2026 and due 30 days later, on 22 March."""

from __future__ import annotations

import uuid
from datetime import UTC, date, datetime, timedelta
from pathlib import Path

import pytest
from sqlalchemy import func, select

from billing.adapters.camt import MAX_BYTES
from billing.domain import invoices as invoice_rules
from billing.handlers import payments as payment_handlers
from billing.handlers.buyers import billing_details_changed
from billing.settings import BillingSettings
from billing.store.tables import bank_entries, payments
from contracts import testing
from contracts.parties import AccountBillingDetails, PostalAddress
from servicekit.http.auth import Caller

from .camt_kit import camt_statement
from .conftest import OPERATOR

FIXTURES = Path(__file__).parent / "fixtures" / "camt"
XML = {**OPERATOR, "Content-Type": "application/xml"}
ADA = Caller(person_id="p-ada", account_id="a-1", email="ada@example.com", name="Ada")
ISSUED = datetime(2026, 2, 20, 9, 0, tzinfo=UTC)
DUE = date(2026, 3, 22)  # ISSUED + the BE seller's 30 days
STATEMENT_DAY = datetime(2026, 3, 5, 18, 0, tzinfo=UTC)
SAMPLE_TOTALS = (121000, 121000, 10000, 5000, 8000)  # BE-INV-2026-000001 … 5


@pytest.fixture
def settings(operator_settings) -> BillingSettings:
    """On SQLite and PostgreSQL, with an operator token."""
    return operator_settings


def sample(name: str) -> bytes:
    return (FIXTURES / name).read_bytes()


async def issue_invoices(driver, clock, events, totals=SAMPLE_TOTALS) -> list[str]:
    """One annual subscription per total, each invoiced at once on ISSUED to a US buyer; their ids in order."""
    us_buyer = AccountBillingDetails(
        legal_name="Client Inc",
        address=PostalAddress(line1="1 Main Street", postcode="10001", city="New York", country="US"),
    )
    async with driver.uow() as uow:
        await billing_details_changed(testing.billing_details_changed(details=us_buyer), uow)
        await uow.commit()
    clock.set(ISSUED)
    for n, total in enumerate(totals, start=1):
        await driver.apply(*events.bought(sid=f"s-{n}", quantity=1, price=total))
    async with driver.uow() as uow:
        issued = sorted(await uow.invoices.of_account("a-1"), key=lambda invoice: invoice.number)
    assert [(i.number, i.total.amount_minor, i.due_on) for i in issued] == [
        (f"BE-INV-2026-00000{n}", total, DUE) for n, total in enumerate(totals, start=1)
    ]
    return [invoice.invoice_id for invoice in issued]


async def import_(service, data: bytes, **headers):
    return await service.post("/ops/bank-statements", content=data, headers={**XML, **headers})


async def collected_earlier(service, clock) -> None:
    """The direct debit of BE-INV-2026-000005 (80.00), collected on 2 March: what entry 6 of the sample returns."""
    clock.set(datetime(2026, 3, 2, 18, 0, tzinfo=UTC))
    answer = await import_(
        service,
        camt_statement(
            [{"amount_minor": 8000, "acct_svcr_ref": "2026030200001", "end_to_end_id": "BE-INV-2026-000005"}],
            statement_id="BE71096123456769-20260302",
            statement_date=date(2026, 3, 2),
        ),
    )
    assert answer.status_code == 200, answer.text
    assert [item["invoice_number"] for item in answer.json()["matched"]] == ["BE-INV-2026-000005"]


async def states(service) -> dict[str, tuple[str, int, int]]:
    """Number: (state, paid, open amount), as the account's administrator reads them."""
    answer = await service.get("/invoices", headers={"Authorization": f"Bearer {service.driver.token(ADA)}"})
    assert answer.status_code == 200, answer.text
    return {
        i["number"]: (i["state"], i["paid"]["amount_minor"], i["open_amount"]["amount_minor"]) for i in answer.json()
    }


async def count(driver, table) -> int:
    async with driver.runtime.db.connect() as conn:
        return (await conn.execute(select(func.count()).select_from(table))).scalar_one()


def entry_ids(items: list[dict]) -> list[str]:
    return [item["entry_id"] for item in items]


async def test_issue15_the_camt053_sample_pays_part_pays_lists_the_unknown_and_importing_it_twice_changes_nothing(
    service, driver, clock, events
):
    await issue_invoices(driver, clock, events)
    await collected_earlier(service, clock)
    clock.set(STATEMENT_DAY)
    before = len(await driver.published())

    answer = await import_(service, sample("statement_053_001_02.xml"))

    assert answer.status_code == 200, answer.text
    summary = answer.json()
    assert (summary["statement_id"], summary["entries"], summary["already_imported"]) == (
        "BE71096123456769-20260305",
        7,  # entries 1-6, the batch of entry 5 read as two; entry 7 is pending
        False,
    )
    assert entry_ids(summary["matched"]) == ["2026030500001", "2026030500005/1", "2026030500005/2"]
    assert entry_ids(summary["partially_paid"]) == ["2026030500002"]
    assert entry_ids(summary["unmatched"]) == ["2026030500003"]
    assert entry_ids(summary["duplicates"]) == ["2026030500001"]
    assert entry_ids(summary["reversals"]) == ["2026030500006-R"]
    [unknown] = summary["unmatched"]
    assert unknown["amount"] == {"amount_minor": 7550, "currency": "EUR"} and "RF56BEINV2026000099" in unknown["note"]
    assert summary["partially_paid"][0]["invoice_state"] == "partially_paid"
    assert await states(service) == {
        "BE-INV-2026-000001": ("paid", 121000, 0),
        "BE-INV-2026-000002": ("partially_paid", 50000, 71000),  # 1,210.00 - 500.00
        "BE-INV-2026-000003": ("paid", 10000, 0),  # collected by direct debit
        "BE-INV-2026-000004": ("paid", 5000, 0),
        "BE-INV-2026-000005": ("open", 0, 8000),  # its collection returned (MD06), before its due date
    }
    published = (await driver.published())[before:]
    recorded = [e["data"] for e in published if e["type"] == "billing.payment_recorded"]
    assert sorted((e["invoice_number"], e["amount"]["amount_minor"], e["method"]) for e in recorded) == [
        ("BE-INV-2026-000001", 121000, "bank_transfer"),  # once, though the file lists it twice
        ("BE-INV-2026-000002", 50000, "bank_transfer"),
        ("BE-INV-2026-000003", 10000, "direct_debit"),
        ("BE-INV-2026-000004", 5000, "direct_debit"),
    ]
    [reversed_] = [e["data"] for e in published if e["type"] == "billing.payment_reversed"]
    assert (reversed_["amount"]["amount_minor"], reversed_["reason"], reversed_["reversed_on"]) == (
        8000,
        "MD06",
        "2026-03-05",
    )
    assert all(e["subject"] == "a-1" for e in published)

    rows = (await count(driver, payments), await count(driver, bank_entries), len(await driver.published()))
    again = await import_(service, sample("statement_053_001_02.xml"))
    assert again.status_code == 200
    repeated = again.json()
    assert (summary.pop("event_ids") != [], repeated.pop("event_ids")) == (True, [])
    assert repeated == {**summary, "already_imported": True}
    assert (await count(driver, payments), await count(driver, bank_entries), len(await driver.published())) == rows


async def test_issue15_the_camt054_return_of_a_collected_direct_debit_reopens_its_invoice(
    service, driver, clock, events
):
    await issue_invoices(driver, clock, events)
    await collected_earlier(service, clock)
    clock.set(STATEMENT_DAY)
    assert (await import_(service, sample("statement_053_001_02.xml"))).status_code == 200
    clock.set(datetime(2026, 3, 12, 18, 0, tzinfo=UTC))

    answer = await import_(service, sample("notification_054_001_08.xml"))

    assert answer.status_code == 200, answer.text
    [returned] = answer.json()["reversals"]
    assert (returned["entry_id"], returned["invoice_number"], returned["invoice_state"]) == (
        "2026031200001-R1",
        "BE-INV-2026-000004",
        "open",
    )
    assert (await states(service))["BE-INV-2026-000004"] == ("open", 0, 5000)
    [changed] = [e["data"] for e in await driver.published("billing.invoice_state_changed")][-1:]
    assert (changed["invoice_number"], changed["previous"], changed["state"]) == ("BE-INV-2026-000004", "paid", "open")


async def test_issue15_an_unmatched_credit_is_listed_then_assigned_by_an_operator(service, driver, clock, events):
    ids = await issue_invoices(driver, clock, events, totals=(121000,))
    clock.set(STATEMENT_DAY)
    statement = camt_statement(
        [
            {"amount_minor": 40000, "acct_svcr_ref": "A-1", "reference": "our order 4711"},
            {"amount_minor": 1500, "direction": "debit", "acct_svcr_ref": "FEE-1", "reference": "account fees"},
        ]
    )
    assert entry_ids((await import_(service, statement)).json()["unmatched"]) == ["A-1", "FEE-1"]

    listed = await service.get("/ops/bank-entries?outcome=unmatched&limit=1", headers=OPERATOR)
    assert listed.status_code == 200 and [e["entry_id"] for e in listed.json()] == ["A-1"]
    assert "X-Next-Cursor" in listed.headers
    assigned = await service.post("/ops/bank-entries/A-1/assignment", json={"invoice_id": ids[0]}, headers=OPERATOR)
    assert assigned.status_code == 200, assigned.text
    body = assigned.json()
    assert (body["entry"]["outcome"], body["invoice"]["state"], body["invoice"]["open_amount"]["amount_minor"]) == (
        "assigned",
        "partially_paid",
        81000,  # 1,210.00 - 400.00
    )
    [payment] = body["invoice"]["payments"]
    assert (payment["method"], payment["bank_entry_id"], payment["amount"]["amount_minor"]) == (
        "bank_transfer",
        "A-1",
        40000,
    )
    still = await service.get("/ops/bank-entries?outcome=unmatched", headers=OPERATOR)
    assert [e["entry_id"] for e in still.json()] == ["FEE-1"]
    twice = await service.post("/ops/bank-entries/A-1/assignment", json={"invoice_id": ids[0]}, headers=OPERATOR)
    debit = await service.post("/ops/bank-entries/FEE-1/assignment", json={"invoice_id": ids[0]}, headers=OPERATOR)
    assert (twice.status_code, twice.json()["code"]) == (409, "entry_not_assignable")
    assert (debit.status_code, debit.json()["code"]) == (409, "entry_not_assignable")
    unknown = await service.post("/ops/bank-entries/NOPE/assignment", json={"invoice_id": ids[0]}, headers=OPERATOR)
    assert unknown.status_code == 404
    assert (await states(service))["BE-INV-2026-000001"] == ("partially_paid", 40000, 81000)


async def test_issue15_an_invoice_still_unpaid_the_day_after_its_due_date_becomes_overdue(
    service, driver, clock, events
):
    first, second = await issue_invoices(driver, clock, events, totals=(121000, 5000))
    check_at = datetime(2026, 3, 23, tzinfo=UTC)  # 00:00 UTC the day after DUE
    overdue_checks = sorted((job, at) for job, at in await driver.pending_jobs() if job.startswith("invoice_overdue"))
    assert overdue_checks == sorted([(f"invoice_overdue:{first}", check_at), (f"invoice_overdue:{second}", check_at)])
    clock.set(datetime(2026, 3, 1, 12, 0, tzinfo=UTC))
    paid = await service.post(
        f"/ops/invoices/{second}/payments",
        json={"amount_minor": 5000, "currency": "EUR", "received_on": "2026-03-01", "note": "cheque 0042"},
        headers=OPERATOR,
    )
    assert paid.status_code == 201, paid.text
    clock.set(check_at - timedelta(seconds=1))
    assert await driver.fire_due() == []
    clock.set(check_at)

    fired = await driver.fire_due()

    [overdue] = [e["data"] for e in fired if e["type"] == "billing.invoice_state_changed"]
    owed = overdue["open_amount"]["amount_minor"]
    assert (overdue["invoice_number"], overdue["previous"], overdue["state"], owed) == (
        "BE-INV-2026-000001",
        "open",
        "overdue",
        121000,
    )
    assert await states(service) == {
        "BE-INV-2026-000001": ("overdue", 0, 121000),
        "BE-INV-2026-000002": ("paid", 5000, 0),
    }


async def test_issue15_an_operator_records_a_payment_by_hand_once_per_idempotency_key(service, driver, clock, events):
    [invoice_id] = await issue_invoices(driver, clock, events, totals=(121000,))
    clock.set(datetime(2026, 3, 1, 12, 0, tzinfo=UTC))
    url = f"/ops/invoices/{invoice_id}/payments"
    body = {"amount_minor": 21000, "currency": "EUR", "received_on": "2026-02-25", "note": "card, receipt 881"}
    first = await service.post(url, json=body, headers={**OPERATOR, "Idempotency-Key": "pay-881"})
    replay = await service.post(url, json=body, headers={**OPERATOR, "Idempotency-Key": "pay-881"})
    assert (first.status_code, replay.status_code, replay.headers.get("Idempotent-Replayed")) == (201, 201, "true")
    assert first.json() == replay.json()
    assert (first.json()["state"], first.json()["open_amount"]["amount_minor"]) == ("partially_paid", 100000)
    assert await count(driver, payments) == 1

    over = await service.post(url, json={**body, "amount_minor": 110000, "note": None}, headers=OPERATOR)
    assert (over.json()["state"], over.json()["unapplied"]["amount_minor"]) == ("paid", 10000)  # 1,100.00 - 1,000.00
    assert len(over.json()["payments"]) == 2

    for wrong, code in (
        ({**body, "currency": "USD"}, "currency_mismatch"),
        ({**body, "received_on": "2026-03-02"}, "received_in_the_future"),  # the clock is at 1 March
        ({**body, "amount_minor": 0}, "invalid_request"),
        ({**body, "note": "two\nlines"}, "invalid_request"),
    ):
        refused = await service.post(url, json=wrong, headers=OPERATOR)
        assert (refused.status_code, refused.json()["code"]) == (422, code), wrong
    missing = await service.post(f"/ops/invoices/{uuid.uuid4()}/payments", json=body, headers=OPERATOR)
    assert missing.status_code == 404
    assert await count(driver, payments) == 2


async def test_issue15_a_write_off_makes_an_unpaid_invoice_uncollectible_with_its_reason(
    service, driver, clock, events
):
    unpaid, paid = await issue_invoices(driver, clock, events, totals=(121000, 5000))
    await service.post(
        f"/ops/invoices/{paid}/payments",
        json={"amount_minor": 5000, "currency": "EUR", "received_on": "2026-02-20"},
        headers=OPERATOR,
    )
    empty = await service.post(f"/ops/invoices/{unpaid}/write-off", json={"reason": " "}, headers=OPERATOR)
    assert (empty.status_code, empty.json()["code"]) == (422, "invalid_request")

    written = await service.post(
        f"/ops/invoices/{unpaid}/write-off", json={"reason": "Client Inc is insolvent"}, headers=OPERATOR
    )

    assert written.status_code == 200, written.text
    assert (written.json()["state"], written.json()["reason"]) == ("uncollectible", "Client Inc is insolvent")
    [changed] = [e["data"] for e in await driver.published("billing.invoice_state_changed")][-1:]
    assert (changed["state"], changed["reason"]) == ("uncollectible", "Client Inc is insolvent")
    refused = await service.post(f"/ops/invoices/{paid}/write-off", json={"reason": "by mistake"}, headers=OPERATOR)
    assert (refused.status_code, refused.json()["code"]) == (409, "invoice_paid")
    assert (await states(service))["BE-INV-2026-000001"] == ("uncollectible", 0, 121000)


async def test_issue15_a_credit_note_for_all_of_an_unpaid_invoice_voids_it(service, driver, clock, events):
    [invoice_id] = await issue_invoices(driver, clock, events, totals=(121000,))
    async with driver.uow() as uow:
        invoice = await uow.invoices.get(invoice_id)
        draft = invoice_rules.credit_note_draft(invoice, "correction-1")
        for line in draft.lines:
            await uow.lines.add_line(line)
        series = invoice_rules.counter_name("BE", draft.kind, ISSUED)
        note = invoice_rules.issue(
            draft,
            "cn-1",
            await uow.invoices.next_sequence(series),
            ISSUED,
            invoice.seller,
            invoice.buyer,
            corrects=invoice.number,
            treatment=invoice_rules.treatment_of(invoice),
        )
        await uow.invoices.add(note)
        await payment_handlers.invoice_issued(note, uow)
        await uow.commit()
    assert await states(service) == {
        "BE-INV-2026-000001": ("void", 0, 0),
        "BE-CN-2026-000001": ("paid", 0, 0),  # a credit note has nothing to pay
    }
    [voided] = [e["data"] for e in await driver.published("billing.invoice_state_changed")][-1:]
    assert (voided["previous"], voided["state"], voided["reason"]) == ("open", "void", "credited by BE-CN-2026-000001")


async def test_issue15_every_payment_route_needs_the_operator_token(service, driver, clock, events):
    [invoice_id] = await issue_invoices(driver, clock, events, totals=(121000,))
    routes = [
        ("POST", "/ops/bank-statements", {"content": sample("statement_053_001_02.xml")}),
        ("GET", "/ops/bank-entries", {}),
        ("POST", "/ops/bank-entries/2026030500003/assignment", {"json": {"invoice_id": invoice_id}}),
        ("POST", f"/ops/invoices/{invoice_id}/payments", {"json": {"amount_minor": 1, "currency": "EUR"}}),
        ("POST", f"/ops/invoices/{invoice_id}/write-off", {"json": {"reason": "no"}}),
    ]
    for method, path, body in routes:
        for headers in ({}, {"X-Operator-Token": "wrong"}, {"Authorization": f"Bearer {driver.token(ADA)}"}):
            answer = await service.request(method, path, headers=headers, **body)
            assert answer.status_code == 403, (method, path, headers)
    assert await count(driver, bank_entries) == await count(driver, payments) == 0
    assert (await states(service))["BE-INV-2026-000001"] == ("open", 0, 121000)


async def test_issue15_a_statement_too_large_or_unreadable_is_refused_whole(service, driver, clock, events):
    await issue_invoices(driver, clock, events, totals=(121000,))
    padding = b" " * (MAX_BYTES + 1 - len(sample("statement_053_001_02.xml")))
    too_large = sample("statement_053_001_02.xml").replace(b"</Document>", padding + b"</Document>")
    assert len(too_large) == MAX_BYTES + 1
    answer = await import_(service, too_large)
    assert (answer.status_code, answer.json()["code"]) == (413, "statement_too_large")
    far_too_large = await import_(service, too_large + b" " * 1024 * 1024)
    assert far_too_large.status_code == 413
    for name, words in (
        ("not_xml.txt", "not well-formed XML"),
        ("hostile_xxe.xml", "DOCTYPE"),
        ("hostile_billion_laughs.xml", "DOCTYPE"),
        ("wrong_root_pain001.xml", "pain.001"),
    ):
        refused = await import_(service, sample(name))
        assert (refused.status_code, refused.json()["code"]) == (422, "unreadable_statement"), name
        assert words in refused.json()["message"], name
    as_json = await import_(service, sample("statement_053_001_02.xml"), **{"Content-Type": "application/json"})
    assert (as_json.status_code, as_json.json()["code"]) == (415, "unsupported_media_type")
    assert await count(driver, bank_entries) == await count(driver, payments) == 0
    assert (await states(service))["BE-INV-2026-000001"] == ("open", 0, 121000)


async def test_issue15_the_payment_routes_are_documented_as_operator_routes(service):
    schema = (await service.get("/openapi.json")).json()
    ours = {
        p: ops for p, ops in schema["paths"].items() if p.startswith(("/ops/bank", "/ops/invoices", "/ops/exports"))
    }
    assert set(ours) == {
        "/ops/bank-statements",
        "/ops/bank-entries",
        "/ops/bank-entries/{entry_id}/assignment",
        "/ops/bank-entries/{entry_id}/unassignment",  # test_unmatch
        "/ops/invoices/{invoice_id}/payments",
        "/ops/invoices/{invoice_id}/write-off",
        "/ops/invoices/{invoice_id}/credit-note",  # test_corrections
        "/ops/exports/invoices.csv",  # test_exports
        "/ops/exports/payments.csv",
    }
    for path, operations in ours.items():
        for method, operation in operations.items():
            assert "Operators only" in operation["description"], (method, path)
            assert "403" in operation["responses"], (method, path)
    assert "application/xml" in ours["/ops/bank-statements"]["post"]["requestBody"]["content"]
    summary = schema["components"]["schemas"]["InvoiceSummary"]["properties"]
    assert {"state", "paid", "open_amount"} <= set(summary)
