"""The SEPA Direct Debit collection file for the vendor's bank (issue 15, item 5): ISO 20022
pain.008.001.02, the version every SEPA bank accepts, written with the sepaxml library.

One file holds one seller's collections (SEPA Core scheme), grouped into one payment
information block (`PmtInf`) per sequence type and requested collection date: the first
collection under a mandate (`FRST`) and the later ones (`RCUR`) go to the bank separately, as
the rulebook asks. Each transaction carries the invoice number as its EndToEndId and as its
remittance text, the mandate's reference and signature date, and the debtor's IBAN (and BIC
when known, else `NOTPROVIDED`); the creditor is identified by the seller's SEPA creditor
identifier.

The file is the same bytes for the same input: the collections are put in a fixed order and
what sepaxml would stamp from the clock or a random source (MsgId, CreDtTm, PmtInfId) is set
from the caller's `message_id` and `created_at`. Names and texts are reduced to the SEPA
character set (sepaxml transliterates, "&" becomes "+", anything else outside it a space),
and every file is validated against the shipped XSD (`schemas/pain.008.001.02.xsd`) before it
is returned: an invalid file is a bug, never sent.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from datetime import datetime
from functools import cache
from pathlib import Path

from lxml import etree
from sepaxml import SepaDD

from billing.domain.mandates import SEPA_CURRENCY, Collection
from billing.domain.parties import Seller

SCHEMA = "pain.008.001.02"
NAMESPACE = f"urn:iso:std:iso:20022:tech:xsd:{SCHEMA}"
XSD = Path(__file__).with_name("schemas") / f"{SCHEMA}.xsd"
MAX_COLLECTIONS = 9_999  # keeps `{message_id}-{n}` within PmtInfId's 35 characters
MESSAGE_ID = re.compile(r"[A-Za-z0-9][A-Za-z0-9\-]{0,29}")
NOT_SEPA_TEXT = re.compile(r"[^A-Za-z0-9/\-?:().,'+ ]+")


class CollectionFileRefused(ValueError):
    """No collection file can be written for this input; `code` for the API, the message for people."""

    def __init__(self, code: str, message: str) -> None:
        super().__init__(message)
        self.code = code
        self.message = message


def pain008(seller: Seller, collections: Sequence[Collection], message_id: str, created_at: datetime) -> bytes:
    """The pain.008.001.02 file collecting `collections` for `seller`, validated against the XSD.

    `message_id` (1–30 letters, digits and dashes) must be new to the bank for every file;
    `created_at` must carry its time zone.
    """
    _check(seller, collections, message_id, created_at)
    assert seller.sepa_creditor_id is not None  # _check refused it otherwise
    debit = SepaDD(
        {
            "name": seller.legal_name,
            "IBAN": seller.iban,
            "BIC": seller.bic,
            "batch": True,
            "creditor_id": seller.sepa_creditor_id,
            "currency": SEPA_CURRENCY,
        },
        schema=SCHEMA,
        clean=True,
    )
    for collection in sorted(collections, key=lambda c: (c.sequence.value, c.due_on, c.end_to_end_id)):
        payment = {
            "name": collection.mandate.debtor_name,
            "IBAN": collection.mandate.iban,
            "amount": collection.amount_minor,
            "type": collection.sequence.value,
            "collection_date": collection.due_on,
            "mandate_id": collection.mandate.mandate_reference,
            "mandate_date": collection.mandate.signed_on,
            "description": collection.invoice_number,
            "endtoend_id": collection.end_to_end_id,
        }
        if collection.mandate.bic:
            payment["BIC"] = collection.mandate.bic
        debit.add_payment(payment)
    # sepaxml validates with xmlschema against its own copy; billing validates with lxml
    # against the shipped one, after setting what sepaxml took from the clock and chance.
    document = etree.fromstring(debit.export(validate=False), _parser())
    _settle(document, message_id, created_at)
    schema = _schema()
    if not schema.validate(document):
        raise RuntimeError(f"pain.008 not valid against {XSD.name}: {schema.error_log.last_error}")
    return etree.tostring(document, xml_declaration=True, encoding="UTF-8", pretty_print=True)


def _check(seller: Seller, collections: Sequence[Collection], message_id: str, created_at: datetime) -> None:
    if not seller.sepa_creditor_id:
        raise CollectionFileRefused(
            "no_creditor_id",
            f"seller {seller.seller_id} has no SEPA creditor identifier (sepa_creditor_id): it cannot collect",
        )
    if not collections:
        raise CollectionFileRefused("empty_batch", "there is nothing to collect: no file is written")
    if len(collections) > MAX_COLLECTIONS:
        raise CollectionFileRefused("batch_too_large", f"at most {MAX_COLLECTIONS:,} collections per file")
    if not MESSAGE_ID.fullmatch(message_id):
        raise CollectionFileRefused("message_id_invalid", "the message id: 1 to 30 letters, digits or dashes")
    if created_at.tzinfo is None:
        raise CollectionFileRefused("created_at_naive", "the creation time needs its time zone")
    seen: set[str] = set()
    for collection in collections:
        if collection.currency != SEPA_CURRENCY:
            raise CollectionFileRefused(
                "currency_not_eur",
                f"invoice {collection.invoice_number} is in {collection.currency}: SEPA collects euro only",
            )
        if collection.amount_minor <= 0:
            raise CollectionFileRefused(
                "amount_not_positive", f"invoice {collection.invoice_number}: only a positive amount is collected"
            )
        if not collection.mandate.active:
            raise CollectionFileRefused(
                "mandate_revoked", f"invoice {collection.invoice_number}: its mandate was revoked"
            )
        if collection.end_to_end_id in seen:
            raise CollectionFileRefused(
                "duplicate_collection", f"{collection.end_to_end_id} is collected twice in the same file"
            )
        seen.add(collection.end_to_end_id)


def _settle(document: etree._Element, message_id: str, created_at: datetime) -> None:
    ns = {"p": NAMESPACE}
    for path, value in (("MsgId", message_id), ("CreDtTm", created_at.isoformat(timespec="seconds"))):
        for element in document.iterfind(f"p:CstmrDrctDbtInitn/p:GrpHdr/p:{path}", ns):
            element.text = value
    for index, identifier in enumerate(document.iterfind("p:CstmrDrctDbtInitn/p:PmtInf/p:PmtInfId", ns), start=1):
        identifier.text = f"{message_id}-{index}"
    for text in (*document.iterfind(".//p:Nm", ns), *document.iterfind(".//p:Ustrd", ns)):
        # EPC217-08's conversion: "&" becomes "+"; any other character outside the set a space.
        cleaned = NOT_SEPA_TEXT.sub(" ", (text.text or "").replace("&", "+"))
        text.text = " ".join(cleaned.split()) or "NOTPROVIDED"


def _parser() -> etree.XMLParser:
    return etree.XMLParser(resolve_entities=False, no_network=True, load_dtd=False)


@cache
def _schema() -> etree.XMLSchema:
    return etree.XMLSchema(etree.parse(str(XSD), _parser()))
