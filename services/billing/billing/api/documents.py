"""An invoice as a PDF (issue 15, items 3 and 4): the HTML document printed by WeasyPrint, for
the same readers as the HTML page (R6), and a Factur-X invoice: the PDF carries its EN 16931
data (CII XML) for the buyer's accounting software to read, so one file serves both."""

from __future__ import annotations

import asyncio
from concurrent.futures import ThreadPoolExecutor

from fastapi import APIRouter
from fastapi.responses import Response

from billing.adapters.einvoice import NotAnEInvoice, facturx_pdf
from billing.adapters.rendering import render_invoice_pdf
from billing.api.invoices import INVOICE_READER, _visible_invoice
from billing.domain.invoices import Invoice
from servicekit.http.deps import CurrentCaller
from servicekit.runtime import Runtime

router = APIRouter(tags=["billing"])

# WeasyPrint holds the CPU for about 0.1 s a page, mostly in Python: run on the
# event loop it would stall every other request and the consumers meanwhile. It runs in this
# pool instead, one PDF at a time per process (under the GIL a second thread would add no
# speed, only memory); further requests wait their turn without blocking the loop.
_PRINTER = ThreadPoolExecutor(max_workers=1, thread_name_prefix="billing-pdf")


def _printed(invoice: Invoice) -> bytes:
    """The PDF with its Factur-X data; an invoice issued before sellers and VAT were recorded
    cannot be an e-invoice, and is the printed PDF alone."""
    pdf = render_invoice_pdf(invoice)
    try:
        return facturx_pdf(invoice, pdf)
    except NotAnEInvoice:
        return pdf


@router.get(
    "/invoices/{invoice_id}.pdf",
    response_class=Response,
    responses={
        200: {
            "content": {"application/pdf": {}},
            "description": "The invoice as a PDF/A-3b document, with its Factur-X (EN 16931) XML embedded.",
        }
    },
    summary="An invoice, as a PDF in the buyer's language",
    description=(
        f"{INVOICE_READER} The document as printed (PDF/A-3b, A4), with the invoice's EN 16931 "
        "data embedded as Factur-X `factur-x.xml` (profile EN 16931), except on invoices issued "
        "before sellers and VAT were recorded."
    ),
)
async def invoice_pdf(invoice_id: str, caller: CurrentCaller, runtime: Runtime) -> Response:
    invoice = await _visible_invoice(invoice_id, caller, runtime)
    pdf = await asyncio.get_running_loop().run_in_executor(_PRINTER, _printed, invoice)
    return Response(
        pdf,
        media_type="application/pdf",
        headers={"Content-Disposition": f'inline; filename="{invoice.number}.pdf"'},
    )
