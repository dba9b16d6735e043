"""An invoice as a PDF (issue 15, items 3 and 4): the HTML document printed by WeasyPrint, for
the same readers as the HTML page (R6), and a Factur-X invoice: the PDF carries its EN 16931
data (CII XML) for the buyer's accounting software to read, so one file serves both."""

from __future__ import annotations

from fastapi import APIRouter
from fastapi.responses import Response

from billing.adapters.printing import print_invoice
from billing.api.invoices import INVOICE_READER, _visible_invoice
from servicekit.http.deps import CurrentCaller
from servicekit.runtime import Runtime

router = APIRouter(tags=["billing"])


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
    pdf = await print_invoice(invoice)  # on the printing thread, which the printer worker shares
    return Response(
        pdf,
        media_type="application/pdf",
        headers={"Content-Disposition": f'inline; filename="{invoice.number}.pdf"'},
    )
