"""An invoice as a structured e-invoice (issue 15, item 4): EN 16931 XML, in UBL or CII, for
the same readers as the HTML page (R6)."""

from __future__ import annotations

from typing import Annotated, Literal

from fastapi import APIRouter, Query
from fastapi.responses import Response

from billing.adapters.einvoice import NotAnEInvoice, cii_xml, ubl_xml
from billing.api.invoices import INVOICE_READER, _visible_invoice
from contracts.errors import Refusal, RuleViolation
from servicekit.http.deps import CurrentCaller
from servicekit.runtime import Runtime

router = APIRouter(tags=["billing"])

Syntax = Literal["ubl", "cii"]
WRITERS = {"ubl": ubl_xml, "cii": cii_xml}
SYNTAX = (
    "`ubl` (default): a UBL 2.1 Invoice or CreditNote, what Peppol access points and XRechnung "
    "receivers take as a file of its own; `cii`: the UN/CEFACT CII of Factur-X / ZUGFeRD "
    "(profile EN 16931), the XML a Factur-X PDF carries."
)


@router.get(
    "/invoices/{invoice_id}/e-invoice",
    response_class=Response,
    responses={
        200: {"content": {"application/xml": {}}, "description": "The invoice as EN 16931 XML."},
        409: {"description": "`not_an_e_invoice`: issued before sellers and VAT were recorded."},
    },
    summary="An invoice as a structured e-invoice (EN 16931, UBL or CII)",
    description=f"{INVOICE_READER} Syntax: {SYNTAX}",
)
async def invoice_einvoice(
    invoice_id: str,
    caller: CurrentCaller,
    runtime: Runtime,
    syntax: Annotated[Syntax, Query(description=SYNTAX)] = "ubl",
) -> Response:
    invoice = await _visible_invoice(invoice_id, caller, runtime)
    try:
        xml = WRITERS[syntax](invoice)  # lxml, a few milliseconds: no need to leave the loop
    except NotAnEInvoice as error:
        raise RuleViolation("not_an_e_invoice", str(error), refusal=Refusal.CONFLICT) from None
    return Response(
        xml,
        media_type="application/xml",
        headers={"Content-Disposition": f'attachment; filename="{invoice.number}.{syntax}.xml"'},
    )
