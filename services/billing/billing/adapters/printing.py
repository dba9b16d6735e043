"""Printing an invoice: the HTML document printed by WeasyPrint as PDF/A-3b, carrying its
EN 16931 data (CII XML) as Factur-X. One place for the PDF route and the printer worker, so
that both share one printing thread per process."""

from __future__ import annotations

import asyncio
from concurrent.futures import ThreadPoolExecutor

from billing.adapters.einvoice import NotAnEInvoice, facturx_pdf
from billing.adapters.rendering import render_invoice_pdf
from billing.domain.invoices import Invoice

# WeasyPrint holds the CPU for about 0.2 s a page, mostly in Python: run on the event loop it
# would stall every request and the consumers meanwhile. It runs in this pool instead, one PDF
# at a time per process (under the GIL a second thread would add no speed, only memory); the
# PDF route and the printer worker wait their turn without blocking the loop.
PRINTER = ThreadPoolExecutor(max_workers=1, thread_name_prefix="billing-pdf")


def printed(invoice: Invoice) -> bytes:
    """The PDF with its Factur-X data; an invoice issued before sellers and VAT were recorded
    cannot be an e-invoice, and is the printed PDF alone. The same invoice prints the same
    bytes (the printer relies on it: a print repeated after a crash is the same document)."""
    pdf = render_invoice_pdf(invoice)
    try:
        return facturx_pdf(invoice, pdf)
    except NotAnEInvoice:
        return pdf


async def print_invoice(invoice: Invoice) -> bytes:
    """`printed`, on the printing thread: never on the event loop, never inside a transaction."""
    return await asyncio.get_running_loop().run_in_executor(PRINTER, printed, invoice)
