"""Issue 15, item 3: the printer prints each issued invoice once, outside any transaction, and
publishes it on `billing.documents.v1` for the invoice e-mail to carry. On SQLite and, when
one answers, PostgreSQL."""

from __future__ import annotations

import base64
import hashlib
import io

import pytest
from alembic import command
from facturx import get_facturx_xml_from_pdf
from sqlalchemy import insert, select

from billing.handlers.printing import InvoicePrinter, printed_event_id
from billing.settings import BillingSettings
from billing.store.prints import wake_printers_on_issue
from billing.store.tables import invoice_prints, invoices
from contracts import registry, topics
from contracts.billing import MAX_ATTACHED_PDF_BYTES
from servicekit.migrations import histories, migrate_database

from .conftest import PUBLIC_URL, START


@pytest.fixture
def settings(database_target) -> BillingSettings:
    url, schema = database_target
    return BillingSettings(
        database_url=url, portal_url=PUBLIC_URL, **({} if url.startswith("sqlite") else {"db_schema": schema})
    )


class FakeClock:
    """Monotonic seconds the test moves: the printer's backoff runs on it."""

    def __init__(self) -> None:
        self.seconds = 1000.0

    def __call__(self) -> float:
        return self.seconds


def stand_in_printing(fail_for: set[str], calls: list[str]):
    """Prints a small stand-in PDF naming the invoice; raises for the invoices in `fail_for`."""

    async def printing(invoice) -> bytes:
        calls.append(invoice.invoice_id)
        if invoice.invoice_id in fail_for:
            raise RuntimeError(f"template bug on {invoice.number}")
        return b"%PDF-1.7\n" + invoice.number.encode() + b"\n%%EOF\n"

    return printing


async def printed_events(driver) -> list[dict]:
    return [e["data"] for e in await driver.published("billing.invoice_printed")]


async def test_issue15_the_printer_prints_each_invoice_once_as_factur_x_and_publishes_it(driver, events):
    await driver.apply(*events.bought())
    [issued] = [e["data"] for e in await driver.published("billing.invoice_issued")]
    printer = InvoicePrinter(driver.runtime)

    assert await printer.print_due() == 1  # the real WeasyPrint and Factur-X, on the printing thread

    [envelope] = await driver.published("billing.invoice_printed")
    printed = envelope["data"]
    assert envelope["id"] == printed_event_id(issued["invoice_id"]) and envelope["subject"] == "a-1"
    assert registry.topic_for(registry.model_for(envelope["type"])) is topics.BILLING_DOCUMENTS
    pdf = base64.b64decode(printed["content_base64"], validate=True)
    assert pdf.startswith(b"%PDF-") and len(pdf) == printed["size_bytes"] <= MAX_ATTACHED_PDF_BYTES
    assert printed["sha256"] == hashlib.sha256(pdf).hexdigest()
    assert (printed["filename"], printed["media_type"]) == (f"{issued['number']}.pdf", "application/pdf")
    assert (printed["invoice_id"], printed["number"], printed["kind"]) == (
        issued["invoice_id"],
        issued["number"],
        "invoice",
    )
    _name, xml = get_facturx_xml_from_pdf(io.BytesIO(pdf), check_xsd=False)
    assert f"<ram:ID>{issued['number']}</ram:ID>".encode() in xml
    async with driver.uow() as uow:
        assert (await uow.prints.of(issued["invoice_id"]))[1:] == (len(pdf), printed["sha256"])

    assert await printer.print_due() == 0  # a second round prints nothing
    assert len(await printed_events(driver)) == 1


async def test_issue15_a_print_another_replica_recorded_first_publishes_nothing_more(driver, events):
    await driver.apply(*events.bought())
    calls: list[str] = []
    first = InvoicePrinter(driver.runtime, printing=stand_in_printing(set(), calls))
    second = InvoicePrinter(driver.runtime, printing=stand_in_printing(set(), calls))
    [invoice_id] = [e["data"]["invoice_id"] for e in await driver.published("billing.invoice_issued")]
    async with driver.uow() as uow:  # the second replica reads before the first one records
        invoice = await uow.invoices.get(invoice_id)

    await first.print_due()
    await second._print_one(invoice)

    assert calls == [invoice_id, invoice_id] and len(await printed_events(driver)) == 1


async def test_issue15_a_failing_print_does_not_stop_the_next_and_is_retried_with_backoff(driver, events):
    await driver.apply(*events.bought(sid="s-1"), *events.bought(sid="s-2"))
    # Issued at the same time: the invoice id orders them.
    first, second = sorted(e["data"]["invoice_id"] for e in await driver.published("billing.invoice_issued"))
    calls: list[str] = []
    failing, clock = {first}, FakeClock()
    printer = InvoicePrinter(driver.runtime, printing=stand_in_printing(failing, calls), monotonic=clock)

    assert await printer.print_due() == 2
    assert [e["invoice_id"] for e in await printed_events(driver)] == [second]  # the next one went on
    assert await printer.print_due() == 0 and calls == [first, second]  # the failed one waits its backoff
    failed = driver.runtime.metrics.registry.get_sample_value(
        "entitle_invoice_prints_total", {"service": "billing", "outcome": "failed"}
    )
    assert failed == 1.0

    failing.clear()  # fixed
    clock.seconds += 5.0
    assert await printer.print_due() == 1
    assert [e["invoice_id"] for e in await printed_events(driver)] == [second, first]


async def test_issue15_a_pdf_over_the_cap_is_published_without_its_bytes(driver, events):
    await driver.apply(*events.bought())

    async def big(invoice) -> bytes:
        return b"%PDF-1.7\n" + b"0" * MAX_ATTACHED_PDF_BYTES

    await InvoicePrinter(driver.runtime, printing=big).print_due()

    [printed] = await printed_events(driver)
    assert printed["content_base64"] is None and printed["size_bytes"] == MAX_ATTACHED_PDF_BYTES + 9
    assert printed["sha256"] == hashlib.sha256(b"%PDF-1.7\n" + b"0" * MAX_ATTACHED_PDF_BYTES).hexdigest()


async def test_issue15_issuing_an_invoice_wakes_the_printers_once_it_commits(driver, events):
    woken: list[str] = []
    stop = wake_printers_on_issue(lambda: woken.append("printer"))
    try:
        await driver.apply(events.purchased())
        assert woken == []  # nothing issued
        await driver.apply(events.activated())
        assert woken  # the annual term's invoice
    finally:
        stop()


async def test_issue15_invoices_issued_before_the_migration_are_never_printed(driver, events):
    """Their e-mails went with the link only: the printer must not print (nor e-mail) them again."""
    db = driver.runtime.db
    schema = None if db.is_sqlite else db.schema
    [history] = [h for h in histories("billing", db.service_metadata) if h.name == "billing"]
    async with db.engine.begin() as conn:
        await conn.run_sync(lambda sync: command.downgrade(history.config(sync, schema), "0004"))
    async with db.engine.begin() as conn:
        await conn.execute(insert(invoices).values(_old_invoice("inv-old", "BE-INV-2025-000001")))

    await migrate_database(db, "billing")

    async with db.engine.begin() as conn:
        rows = (await conn.execute(select(invoice_prints))).all()
    assert rows == []  # not queued
    assert await InvoicePrinter(driver.runtime, printing=stand_in_printing(set(), [])).print_due() == 0


def _old_invoice(invoice_id: str, number: str) -> dict:
    return dict(
        invoice_id=invoice_id,
        number=number,
        kind="invoice",
        account_id="a-1",
        admin_person_id="p-1",
        admin_email="ada@example.com",
        admin_name="Ada",
        admin_locale="en",
        issued_at=START,
        total_minor=73000,
        currency="EUR",
    )
