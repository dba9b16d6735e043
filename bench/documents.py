"""Invoice documents and bank files (issue 15): what billing's CPU pays for each, beside the
library underneath measured in the same run. In this process, one core, no stack needed.

- PDF: `render_invoice_pdf` (WeasyPrint, PDF/A-3b) of a one-page invoice and of a 60-line one,
  beside WeasyPrint printing a page holding one paragraph in the same font (its floor: what
  any PDF costs here); then what embedding the Factur-X XML adds.
- E-invoices: the CII and UBL XML of the one-page invoice, beside lxml serialising a tree of
  the same size.
- camt.053: `read_statement` of a statement of 10,000 entries, beside lxml parsing the same
  bytes (the parse alone, no reading of the entries).

CPU is `time.process_time` around `repeat` calls, divided by `repeat`; nothing else runs in
this process meanwhile.
"""

from __future__ import annotations

import io
import time
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from typing import Any

from lxml import etree
from pypdf import PdfReader
from weasyprint import HTML

from billing.adapters.camt import read_statement
from billing.adapters.einvoice import cii_xml, facturx_pdf, ubl_xml
from billing.adapters.rendering import render_invoice_pdf
from billing.adapters.sellers import load_sellers
from billing.domain import invoices
from billing.domain.invoices import Invoice
from billing.domain.parties import Buyer
from billing.domain.subscriptions import SubscriptionView
from contracts import testing
from contracts.parties import AccountBillingDetails, PostalAddress
from contracts.values import BillingCycle, Money

START = datetime(2026, 1, 5, 9, 0, tzinfo=UTC)
STATEMENT_ENTRIES = 10_000


def _cpu_ms(work: Callable[[], Any], repeat: int) -> float:
    work()  # warm: templates compiled, fonts loaded, schemas read
    started = time.process_time()
    for _ in range(repeat):
        work()
    return (time.process_time() - started) * 1000 / repeat


def _invoice(subscriptions: int) -> Invoice:
    """A French buyer's annual terms: one subscription is a one-page invoice; 60 fill pages."""
    sellers = load_sellers()
    buyer = Buyer.of(
        AccountBillingDetails(
            legal_name="Atelier Dupont SARL",
            address=PostalAddress(line1="12 rue de la Paix", postcode="75002", city="Paris", country="FR"),
            vat_number="FR40303265045",
        ),
        "Ada Admin",
        "ada@example.com",
    )
    views, lines = {}, []
    for n in range(subscriptions):
        sid = f"s-{n}"
        view = views[sid] = SubscriptionView(sid, "a-1")
        activated = testing.activated(
            subscription_id=sid,
            account_id="a-1",
            administrator=testing.ADA.model_copy(update={"locale": "fr"}),
            billing_cycle=BillingCycle.ANNUAL,
            quantity=2 + n,
            unit_price=Money(amount_minor=73000, currency="EUR"),
            activated_at=START,
            term_start=START,
            term_end=START + timedelta(days=365),
            tier="standard",
            po_number="PO-2026-7",
        )
        lines += view.activate(activated, f"act-{sid}")
    [draft] = invoices.group_lines(lines, views)
    return invoices.issue(draft, "inv-bench", 1, START, sellers.for_buyer("FR"), buyer)


def _statement(entries: int) -> bytes:
    """A camt.053.001.02 of `entries` credits, written as a bank writes one."""
    ns = "urn:iso:std:iso:20022:tech:xsd:camt.053.001.02"
    rows = "".join(
        f"<Ntry><Amt Ccy='EUR'>{Decimal(100 + n) / 100}</Amt><CdtDbtInd>CRDT</CdtDbtInd><Sts>BOOK</Sts>"
        f"<BookgDt><Dt>2026-03-05</Dt></BookgDt><ValDt><Dt>2026-03-05</Dt></ValDt>"
        f"<AcctSvcrRef>BENCH-{n}</AcctSvcrRef><BkTxCd/><NtryDtls><TxDtls><RmtInf><Ustrd>invoice {n}</Ustrd>"
        f"</RmtInf></TxDtls></NtryDtls></Ntry>"
        for n in range(entries)
    )
    return (
        f"<?xml version='1.0' encoding='UTF-8'?><Document xmlns='{ns}'><BkToCstmrStmt><GrpHdr><MsgId>BENCH</MsgId>"
        f"<CreDtTm>2026-03-05T18:00:00</CreDtTm></GrpHdr><Stmt><Id>BENCH-STMT</Id>"
        f"<CreDtTm>2026-03-05T18:00:00</CreDtTm><Acct><Id><IBAN>BE71096123456769</IBAN></Id></Acct>"
        f"{rows}</Stmt></BkToCstmrStmt></Document>"
    ).encode()


def bench_documents(repeat: int = 10) -> dict[str, Any]:
    one_page, long = _invoice(1), _invoice(60)
    pdf = render_invoice_pdf(one_page)
    cii = cii_xml(one_page)
    floor_page = HTML(string="<p style='font-family: DejaVu Sans'>Invoice</p>").write_pdf
    statement = _statement(STATEMENT_ENTRIES)
    assert len(read_statement(statement).entries) == STATEMENT_ENTRIES  # the bench reads what it says
    return {
        "repeat": repeat,
        "pdf_bytes": len(pdf),
        "pdf_60_lines_pages": len(PdfReader(io.BytesIO(render_invoice_pdf(long))).pages),
        "pdf_ms": _cpu_ms(lambda: render_invoice_pdf(one_page), repeat),
        "pdf_60_lines_ms": _cpu_ms(lambda: render_invoice_pdf(long), max(2, repeat // 5)),
        "pdf_floor_ms": _cpu_ms(floor_page, repeat),
        "facturx_embed_ms": _cpu_ms(lambda: facturx_pdf(one_page, pdf), repeat),
        "cii_ms": _cpu_ms(lambda: cii_xml(one_page), repeat * 10),
        "ubl_ms": _cpu_ms(lambda: ubl_xml(one_page), repeat * 10),
        "xml_floor_ms": _cpu_ms(lambda: etree.tostring(etree.fromstring(cii)), repeat * 10),
        "camt_entries": STATEMENT_ENTRIES,
        "camt_ms": _cpu_ms(lambda: read_statement(statement), 2),
        "camt_floor_ms": _cpu_ms(lambda: etree.fromstring(statement), 2),
    }
