"""Issue 15, item 5, done when: "A pain.008 file produced for a collection validates against the
ISO 20022 XSD (ship the XSD, it is public)". The XSD is billing's shipped copy
(billing/adapters/schemas/pain.008.001.02.xsd), read here independently of the adapter.

The batch, hand-computed: the BE seller collects five invoices in three blocks,
  FRST on 5 March: 121.00 (Client SA) + 1,210.00 (Durand SARL) = 1,331.00, 2 transactions
  RCUR on 5 March: 50.50 (Müller & Söhne)                     =    50.50, 1 transaction
  RCUR on 6 March: 80.00 (Müller & Söhne) + 19.99 (Client SA)  =    99.99, 2 transactions
so the file holds 5 transactions for 1,481.49 EUR."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import replace
from datetime import date, datetime, timedelta
from decimal import Decimal
from pathlib import Path

import pytest
from lxml import etree

from billing.adapters.sepa import CollectionFileRefused, pain008
from billing.domain.mandates import Collection, Mandate, collection_of, mandate_of
from billing.domain.parties import Seller
from contracts.testing import T0
from servicekit.clock import FixedClock

from .invoicing_kit import SELLERS

XSD = Path(__file__).parents[1] / "billing" / "adapters" / "schemas" / "pain.008.001.02.xsd"
NS = {"p": "urn:iso:std:iso:20022:tech:xsd:pain.008.001.02"}
CLOCK = FixedClock(T0 + timedelta(days=58))  # 4 March 2026, 09:00 UTC
BE = SELLERS.by_id["BE"]
MESSAGE_ID = "ENT-DD-20260305"


def mandate(name: str, iban: str, reference: str, signed_on: date, bic: str | None = None) -> Mandate:
    return mandate_of("a-" + reference, name, iban, reference, signed_on, CLOCK.now().date(), bic=bic)


CLIENT = mandate("Client SA", "BE68539007547034", "ENT-A-0001", date(2026, 2, 20))  # BIC unknown
DURAND = mandate("Durand SARL", "FR7630006000011234567890189", "ENT-A-0003", date(2026, 2, 27))
MULLER = mandate("Müller & Söhne GmbH", "DE89370400440532013000", "ENT-A-0002", date(2025, 6, 1)).collected()
MARCH_5, MARCH_6 = date(2026, 3, 5), date(2026, 3, 6)


def batch() -> list[Collection]:
    return [
        collection_of("i-1", "BE-INV-2026-000011", 12100, "EUR", CLIENT, MARCH_5),
        collection_of("i-2", "BE-INV-2026-000012", 121000, "EUR", DURAND, MARCH_5),
        collection_of("i-3", "BE-INV-2026-000013", 5050, "EUR", MULLER, MARCH_5),
        collection_of("i-4", "BE-INV-2026-000014", 8000, "EUR", MULLER, MARCH_6),
        collection_of("i-5", "BE-INV-2026-000015", 1999, "EUR", CLIENT.collected(), MARCH_6),
    ]


@pytest.fixture(scope="module")
def schema() -> etree.XMLSchema:
    return etree.XMLSchema(etree.parse(str(XSD)))


def written(collections: list[Collection] | None = None) -> etree._Element:
    return etree.fromstring(pain008(BE, batch() if collections is None else collections, MESSAGE_ID, CLOCK.now()))


def texts(element: etree._Element, path: str) -> list[str]:
    return [found.text for found in element.iterfind(path, NS)]


def test_issue15_a_frst_and_rcur_collection_file_validates_against_the_iso20022_xsd(
    schema: etree.XMLSchema,
) -> None:
    document = written()
    assert schema.validate(document), schema.error_log
    # The XSD checks something: the same file without an EndToEndId, or with a negative
    # amount, is refused by it.
    broken = written()
    end_to_end = broken.find(".//p:EndToEndId", NS)
    end_to_end.getparent().remove(end_to_end)
    assert not schema.validate(broken)
    negative = written()
    negative.find(".//p:InstdAmt", NS).text = "-121.00"
    assert not schema.validate(negative)


def test_issue15_the_file_counts_and_sums_each_block_and_the_whole() -> None:
    document = written()
    header = document.find("p:CstmrDrctDbtInitn/p:GrpHdr", NS)
    assert header.findtext("p:NbOfTxs", namespaces=NS) == "5"
    assert Decimal(header.findtext("p:CtrlSum", namespaces=NS)) == Decimal("1481.49")
    blocks = [
        (
            block.findtext("p:PmtTpInf/p:SeqTp", namespaces=NS),
            block.findtext("p:ReqdColltnDt", namespaces=NS),
            block.findtext("p:NbOfTxs", namespaces=NS),
            block.findtext("p:CtrlSum", namespaces=NS),
            texts(block, "p:DrctDbtTxInf/p:InstdAmt"),
        )
        for block in document.iterfind("p:CstmrDrctDbtInitn/p:PmtInf", NS)
    ]
    assert blocks == [
        ("FRST", "2026-03-05", "2", "1331.00", ["121.00", "1210.00"]),
        ("RCUR", "2026-03-05", "1", "50.50", ["50.50"]),
        ("RCUR", "2026-03-06", "2", "99.99", ["80.00", "19.99"]),
    ]
    assert texts(document, ".//p:InstdAmt[@Ccy='EUR']") == ["121.00", "1210.00", "50.50", "80.00", "19.99"]


def test_issue15_the_file_names_the_creditor_and_each_mandate() -> None:
    document = written()
    assert set(texts(document, ".//p:CdtrSchmeId/p:Id/p:PrvtId/p:Othr/p:Id")) == {"BE69ZZZ050D000000008"}
    assert set(texts(document, ".//p:CdtrSchmeId//p:SchmeNm/p:Prtry")) == {"SEPA"}
    assert set(texts(document, ".//p:CdtrAcct/p:Id/p:IBAN")) == {"BE71096123456769"}
    assert set(texts(document, ".//p:CdtrAgt/p:FinInstnId/p:BIC")) == {"GKCCBEBB"}
    assert set(texts(document, ".//p:PmtTpInf/p:LclInstrm/p:Cd")) == {"CORE"}
    first = document.find(".//p:DrctDbtTxInf", NS)
    assert first.findtext("p:PmtId/p:EndToEndId", namespaces=NS) == "BE-INV-2026-000011"
    assert first.findtext("p:DrctDbtTx/p:MndtRltdInf/p:MndtId", namespaces=NS) == "ENT-A-0001"
    assert first.findtext("p:DrctDbtTx/p:MndtRltdInf/p:DtOfSgntr", namespaces=NS) == "2026-02-20"
    assert first.findtext("p:DbtrAcct/p:Id/p:IBAN", namespaces=NS) == "BE68539007547034"
    assert first.findtext("p:DbtrAgt/p:FinInstnId/p:Othr/p:Id", namespaces=NS) == "NOTPROVIDED"
    assert first.findtext("p:RmtInf/p:Ustrd", namespaces=NS) == "BE-INV-2026-000011"
    assert texts(document, ".//p:DbtrAgt/p:FinInstnId/p:BIC") == ["AGRIFRPPXXX", "COBADEFFXXX", "COBADEFFXXX"]
    assert texts(document, ".//p:PmtId/p:EndToEndId") == [f"BE-INV-2026-00001{n}" for n in range(1, 6)]


def test_issue15_names_are_reduced_to_the_sepa_character_set() -> None:
    assert set(texts(written(), ".//p:Dbtr/p:Nm")) == {"Client SA", "Durand SARL", "Muller + Sohne GmbH"}


def test_issue15_the_same_collections_give_the_same_bytes_whatever_the_clock_or_their_order() -> None:
    first = pain008(BE, batch(), MESSAGE_ID, CLOCK.now())
    assert pain008(BE, list(reversed(batch())), MESSAGE_ID, CLOCK.now()) == first
    document = etree.fromstring(first)
    # What sepaxml would take from the wall clock and a random source comes from the caller.
    assert document.findtext("p:CstmrDrctDbtInitn/p:GrpHdr/p:MsgId", namespaces=NS) == MESSAGE_ID
    assert document.findtext("p:CstmrDrctDbtInitn/p:GrpHdr/p:CreDtTm", namespaces=NS) == "2026-03-04T09:00:00+00:00"
    assert texts(document, "p:CstmrDrctDbtInitn/p:PmtInf/p:PmtInfId") == [f"{MESSAGE_ID}-{n}" for n in (1, 2, 3)]
    assert pain008(BE, batch(), "ENT-DD-20260306", CLOCK.now()) != first


@pytest.mark.parametrize(
    ("change", "code"),
    [
        (lambda seller, collections: (replace(seller, sepa_creditor_id=None), collections), "no_creditor_id"),
        (lambda seller, collections: (seller, []), "empty_batch"),
        (
            lambda seller, collections: (seller, [replace(collections[0], currency="USD"), *collections[1:]]),
            "currency_not_eur",
        ),
        (lambda seller, collections: (seller, [replace(collections[0], amount_minor=0)]), "amount_not_positive"),
        (lambda seller, collections: (seller, [collections[0], collections[0]]), "duplicate_collection"),
        (
            lambda seller, collections: (
                seller,
                [replace(collections[0], mandate=CLIENT.revoked(CLOCK.now()))],
            ),
            "mandate_revoked",
        ),
    ],
)
def test_issue15_a_file_that_cannot_be_collected_is_refused(
    change: Callable[[Seller, list[Collection]], tuple[Seller, list[Collection]]], code: str
) -> None:
    seller, collections = change(BE, batch())
    with pytest.raises(CollectionFileRefused) as refusal:
        pain008(seller, collections, MESSAGE_ID, CLOCK.now())
    assert refusal.value.code == code
    assert refusal.value.message


@pytest.mark.parametrize("message_id", ["", "X" * 31, "ENT DD", "ENT/DD", "-ENT"])
def test_issue15_the_message_id_fits_the_file_and_its_blocks(message_id: str) -> None:
    with pytest.raises(CollectionFileRefused) as refusal:
        pain008(BE, batch(), message_id, CLOCK.now())
    assert refusal.value.code == "message_id_invalid"


def test_issue15_the_creation_time_carries_its_time_zone() -> None:
    with pytest.raises(CollectionFileRefused) as refusal:
        pain008(BE, batch(), MESSAGE_ID, datetime(2026, 3, 4, 9, 0))
    assert refusal.value.code == "created_at_naive"


def test_issue15_the_fr_seller_collects_under_its_own_creditor_id(schema: etree.XMLSchema) -> None:
    document = etree.fromstring(pain008(SELLERS.by_id["FR"], batch()[:1], "ENT-DD-FR-1", CLOCK.now()))
    assert schema.validate(document), schema.error_log
    assert set(texts(document, ".//p:CdtrSchmeId/p:Id/p:PrvtId/p:Othr/p:Id")) == {"FR72ZZZ123456"}
    assert set(texts(document, ".//p:CdtrAcct/p:Id/p:IBAN")) == {"FR1420041010050500013M02606"}
