"""Issue 15, item 5: SEPA Direct Debit end to end, on SQLite and PostgreSQL, on the test clock.
An account with a mandate is invoiced (through billing's consumer, as in production); on the
invoice's due date the collection is recorded; an operator writes the seller's pain.008 file,
downloads it for the bank, and the bank statement later confirms the collection by its
EndToEndId, the invoice number.

The invoices are issued by the BE seller (it has a SEPA creditor identifier) to a buyer in the
United States (no VAT: the total is the price), 30 days' terms."""

from __future__ import annotations

import hashlib
from datetime import UTC, date, datetime

import pytest
from lxml import etree

from billing.handlers.buyers import billing_details_changed
from billing.handlers.collections import job_id
from billing.settings import BillingSettings
from billing.store.mandates import CollectionState
from contracts import testing
from contracts.parties import AccountBillingDetails, PostalAddress
from servicekit.http.auth import Caller

from .camt_kit import camt_statement
from .conftest import OPERATOR

ADA = Caller(person_id="p-ada", account_id="a-1", email="ada@example.com", name="Ada")
MANDATE = {"debtor_name": "Client Inc", "iban": "BE68539007547034", "signed_on": "2026-02-01"}
ISSUED = datetime(2026, 2, 20, 9, 0, tzinfo=UTC)
DUE = date(2026, 3, 22)  # ISSUED + the BE seller's 30 days
NS = {"p": "urn:iso:std:iso:20022:tech:xsd:pain.008.001.02"}


@pytest.fixture
def settings(operator_settings) -> BillingSettings:
    """On SQLite and PostgreSQL, with an operator token."""
    return operator_settings


def on(day: date) -> datetime:
    return datetime.combine(day, datetime.min.time(), tzinfo=UTC)


def as_ada(service) -> dict[str, str]:
    return {"Authorization": f"Bearer {service.driver.token(ADA)}"}


async def us_buyer(driver) -> None:
    details = AccountBillingDetails(
        legal_name="Client Inc",
        address=PostalAddress(line1="1 Main Street", postcode="10001", city="New York", country="US"),
    )
    async with driver.uow() as uow:
        await billing_details_changed(testing.billing_details_changed(details=details), uow)
        await uow.commit()


async def give_mandate(service, **changes) -> dict:
    answer = await service.put("/accounts/a-1/sepa-mandate", json={**MANDATE, **changes}, headers=as_ada(service))
    assert answer.status_code == 200, answer.text
    return answer.json()


async def invoice(service, clock, events, sid: str, price: int, at: datetime) -> tuple[str, str]:
    """Subscription `sid` bought and started at `at`, through billing's consumer: its invoice (id, number)."""
    clock.set(at)
    await service.driver.deliver(events.purchased(sid=sid, quantity=1, price=price))
    await service.driver.deliver(events.activated(sid=sid, quantity=1, price=price))
    async with service.driver.uow() as uow:
        issued = (await uow.invoices.of_account("a-1"))[0]  # the newest
    return issued.invoice_id, issued.number


async def collection(driver, invoice_id: str):
    async with driver.uow() as uow:
        return await uow.collections.get(invoice_id)


async def write_file(service, **headers: str):
    return await service.post("/ops/sepa/collection-files", json={"seller_id": "BE"}, headers={**OPERATOR, **headers})


def transactions(xml: bytes) -> list[tuple[str, str, str, str, str]]:
    """(EndToEndId, sequence type, amount, mandate reference, collection date) of each transaction."""
    document = etree.fromstring(xml)
    found = []
    for block in document.iterfind("p:CstmrDrctDbtInitn/p:PmtInf", NS):
        sequence = block.findtext("p:PmtTpInf/p:SeqTp", namespaces=NS)
        day = block.findtext("p:ReqdColltnDt", namespaces=NS)
        for tx in block.iterfind("p:DrctDbtTxInf", NS):
            found.append(
                (
                    tx.findtext("p:PmtId/p:EndToEndId", namespaces=NS),
                    sequence,
                    tx.findtext("p:InstdAmt", namespaces=NS),
                    tx.findtext("p:DrctDbtTx/p:MndtRltdInf/p:MndtId", namespaces=NS),
                    day,
                )
            )
    return found


async def test_issue15_an_invoice_of_an_account_with_a_mandate_is_collected_on_its_due_date_frst_then_rcur(
    service, driver, clock, events
):
    await us_buyer(driver)
    clock.set(ISSUED)
    await driver.deliver(events.purchased(sid="s-1", quantity=1, price=121000))
    await give_mandate(service)
    first_id, first_number = await invoice(service, clock, events, "s-1", 121000, ISSUED)
    assert (job_id(first_id), on(DUE)) in await driver.pending_jobs()

    clock.set(datetime(2026, 3, 21, 23, 0, tzinfo=UTC))  # the evening before
    await driver.fire_due()
    assert await collection(driver, first_id) is None
    clock.set(on(DUE))
    await driver.fire_due()

    pending = await collection(driver, first_id)
    assert pending is not None
    assert (pending.state, pending.amount_minor, pending.sequence.value, pending.due_on) == (
        CollectionState.PENDING,
        121000,
        "FRST",
        DUE,
    )
    assert (await service.get("/invoices/" + first_id, headers=as_ada(service))).json()["state"] == "open"  # not paid

    clock.set(on(DUE).replace(hour=8))
    written = await write_file(service)

    assert written.status_code == 201, written.text
    file = written.json()
    assert (file["file_id"], file["collections"], file["total"]["amount_minor"]) == ("BE-SDD-2026-000001", 1, 121000)
    download = await service.get(file["download"], headers=OPERATOR)
    assert download.status_code == 200
    assert download.headers["content-type"].startswith("application/xml")
    assert hashlib.sha256(download.content).hexdigest() == file["sha256"]
    assert transactions(download.content) == [(first_number, "FRST", "1210.00", "ENT-A1-1", "2026-03-23")]
    assert etree.fromstring(download.content).findtext("p:CstmrDrctDbtInitn/p:GrpHdr/p:MsgId", namespaces=NS) == (
        "BE-SDD-2026-000001"
    )
    mandate = (await service.get("/accounts/a-1/sepa-mandate", headers=as_ada(service))).json()
    assert mandate["sequence"] == "RCUR"  # its first collection went to the bank

    # The next invoice under the same mandate is recurring.
    second_at = datetime(2026, 3, 25, 9, 0, tzinfo=UTC)
    _, second_number = await invoice(service, clock, events, "s-2", 5000, second_at)
    clock.set(on(date(2026, 4, 24)))
    await driver.fire_due()
    again = await write_file(service)
    assert again.status_code == 201, again.text
    xml = (await service.get(again.json()["download"], headers=OPERATOR)).content
    assert transactions(xml) == [(second_number, "RCUR", "50.00", "ENT-A1-1", "2026-04-25")]

    # The bank's statement confirms the first collection by its EndToEndId: the invoice is paid.
    clock.set(datetime(2026, 3, 24, 18, 0, tzinfo=UTC))
    statement = camt_statement(
        [{"amount_minor": 121000, "acct_svcr_ref": "2026032400001", "end_to_end_id": first_number}],
        statement_id="BE71096123456769-20260324",
        statement_date=date(2026, 3, 24),
    )
    imported = await service.post(
        "/ops/bank-statements", content=statement, headers={**OPERATOR, "Content-Type": "application/xml"}
    )
    assert [item["invoice_number"] for item in imported.json()["matched"]] == [first_number]


async def test_issue15_a_revoked_mandate_collects_nothing_and_the_next_mandate_starts_frst_again(
    service, driver, clock, events
):
    await us_buyer(driver)
    clock.set(ISSUED)
    await driver.deliver(events.purchased(sid="s-1", quantity=1, price=121000))
    await give_mandate(service)
    await invoice(service, clock, events, "s-1", 121000, ISSUED)
    clock.set(on(DUE))
    await driver.fire_due()
    assert (await write_file(service)).status_code == 201

    clock.set(datetime(2026, 3, 25, 9, 0, tzinfo=UTC))
    second_id, _ = await invoice(service, clock, events, "s-2", 5000, clock.now())
    assert (await service.delete("/accounts/a-1/sepa-mandate", headers=as_ada(service))).status_code == 200
    clock.set(on(date(2026, 4, 24)))
    await driver.fire_due()
    assert await collection(driver, second_id) is None  # no mandate on the due date: nothing recorded

    renewed = await give_mandate(service, iban="DE89370400440532013000")
    assert (renewed["mandate_reference"], renewed["sequence"]) == ("ENT-A1-2", "FRST")
    _, third_number = await invoice(service, clock, events, "s-3", 8000, clock.now())
    clock.set(on(date(2026, 5, 24)))
    await driver.fire_due()
    written = await write_file(service)
    assert written.status_code == 201, written.text
    xml = (await service.get(written.json()["download"], headers=OPERATOR)).content
    assert transactions(xml) == [(third_number, "FRST", "80.00", "ENT-A1-2", "2026-05-25")]


async def test_issue15_an_invoice_paid_before_its_due_date_is_not_collected(service, driver, clock, events):
    await us_buyer(driver)
    clock.set(ISSUED)
    await driver.deliver(events.purchased(sid="s-1", quantity=1, price=121000))
    await give_mandate(service)
    invoice_id, _ = await invoice(service, clock, events, "s-1", 121000, ISSUED)
    clock.set(datetime(2026, 3, 10, 9, 0, tzinfo=UTC))
    paid = await service.post(
        f"/ops/invoices/{invoice_id}/payments",
        json={"amount_minor": 121000, "currency": "EUR", "received_on": "2026-03-10"},
        headers=OPERATOR,
    )
    assert paid.status_code == 201, paid.text

    clock.set(on(DUE))
    await driver.fire_due()

    assert await collection(driver, invoice_id) is None
    nothing = await write_file(service)
    assert (nothing.status_code, nothing.json()["code"]) == (409, "nothing_to_collect")


async def test_issue15_without_a_mandate_no_collection_is_scheduled(service, driver, clock, events):
    await us_buyer(driver)
    invoice_id, _ = await invoice(service, clock, events, "s-1", 121000, ISSUED)

    assert not [job for job, _ in await driver.pending_jobs() if job == job_id(invoice_id)]


async def test_issue15_a_collection_paid_after_its_due_date_is_dropped_and_each_goes_into_one_file_only(
    service, driver, clock, events
):
    await us_buyer(driver)
    clock.set(ISSUED)
    await driver.deliver(events.purchased(sid="s-1", quantity=1, price=121000))
    await give_mandate(service)
    paid_id, paid_number = await invoice(service, clock, events, "s-1", 121000, ISSUED)
    kept_id, kept_number = await invoice(service, clock, events, "s-2", 5000, ISSUED.replace(hour=10))
    clock.set(on(DUE))
    await driver.fire_due()
    assert {(await collection(driver, i)).state for i in (paid_id, kept_id)} == {CollectionState.PENDING}  # type: ignore[union-attr]
    clock.set(on(DUE).replace(hour=7))
    assert (
        await service.post(
            f"/ops/invoices/{paid_id}/payments",
            json={"amount_minor": 121000, "currency": "EUR", "received_on": "2026-03-22"},
            headers=OPERATOR,
        )
    ).status_code == 201

    clock.set(on(DUE).replace(hour=8))
    first = await write_file(service, **{"Idempotency-Key": "file-1"})
    retry = await write_file(service, **{"Idempotency-Key": "file-1"})
    another = await write_file(service)

    assert first.status_code == 201, first.text
    assert [c["number"] for c in first.json()["collected"]] == [kept_number]
    assert [(c["number"], c["note"]) for c in first.json()["dropped"]] == [
        (paid_number, "the invoice is paid: nothing to collect")
    ]
    assert retry.status_code == 201 and retry.json()["file_id"] == first.json()["file_id"]  # the same file
    assert (another.status_code, another.json()["code"]) == (409, "nothing_to_collect")
    listed = await service.get("/ops/sepa/collection-files", headers=OPERATOR)
    assert [f["file_id"] for f in listed.json()] == [first.json()["file_id"]]
    xml = (await service.get(f"/ops/sepa/collection-files/{first.json()['file_id']}.xml", headers=OPERATOR)).content
    assert [tx[0] for tx in transactions(xml)] == [kept_number]
    assert (await collection(driver, paid_id)).state is CollectionState.DROPPED  # type: ignore[union-attr]
    assert (await collection(driver, kept_id)).file_id == first.json()["file_id"]  # type: ignore[union-attr]


async def test_issue15_collection_files_are_for_operators_only(service):
    assert (await service.post("/ops/sepa/collection-files", json={"seller_id": "BE"})).status_code == 403
    assert (await service.get("/ops/sepa/collection-files")).status_code == 403
    assert (await service.get("/ops/sepa/collection-files/BE-SDD-2026-000001.xml")).status_code == 403
    missing = await service.get("/ops/sepa/collection-files/BE-SDD-2026-000001.xml", headers=OPERATOR)
    assert (missing.status_code, missing.json()["code"]) == (404, "collection_file_not_found")
    unknown = await service.post("/ops/sepa/collection-files", json={"seller_id": "XX"}, headers=OPERATOR)
    assert (unknown.status_code, unknown.json()["code"]) == (404, "seller_not_found")
