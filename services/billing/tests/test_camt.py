"""Issue 15, item 5: the bank's statements read safely ("import a bank statement in ISO 20022
camt.053 (parsed safely: no external entities)"), and returns read from camt.053/054.

The fixtures are in tests/fixtures/camt (their README says which invoice each entry pays);
statements built in a test come from tests/camt_kit.py."""

from __future__ import annotations

from datetime import date
from pathlib import Path

import pytest
from lxml import etree

from billing.adapters.camt import MAX_BYTES, MAX_ENTRIES, read_statement, read_statements
from billing.domain.bank import BankEntry, Direction, Statement, UnreadableStatement

from .camt_kit import BE_ACCOUNT, camt_statement

FIXTURES = Path(__file__).parent / "fixtures" / "camt"
MARCH_5 = date(2026, 3, 5)
CREDIT, DEBIT = Direction.CREDIT, Direction.DEBIT


def fixture(name: str) -> bytes:
    return (FIXTURES / name).read_bytes()


def entry(**fields: object) -> BankEntry:
    values: dict[str, object] = {
        "currency": "EUR",
        "direction": CREDIT,
        "booked_on": MARCH_5,
        "value_on": MARCH_5,
        "reference": None,
        "end_to_end_id": None,
        "counterparty_name": None,
        "counterparty_iban": None,
        "return_reason": None,
    }
    values.update(fields)
    return BankEntry(**values)  # type: ignore[arg-type]


PAID_IN_FULL = entry(
    entry_id="2026030500001",
    amount_minor=121000,
    reference="RF83BEINV2026000001",
    counterparty_name="Client SA",
    counterparty_iban="BE68539007547034",
)


def refused(data: bytes) -> str:
    with pytest.raises(UnreadableStatement) as refusal:
        read_statements(data)
    return str(refusal.value)


def test_issue15_a_camt053_001_02_statement_is_read_into_its_booked_entries() -> None:
    statement = read_statement(fixture("statement_053_001_02.xml"))
    assert (statement.statement_id, statement.account_iban, statement.created_at_text) == (
        "BE71096123456769-20260305",
        BE_ACCOUNT,
        "2026-03-05T18:00:00+01:00",
    )
    assert statement.entries == (
        PAID_IN_FULL,  # EndToEndId NOTPROVIDED is no id
        entry(
            entry_id="2026030500002",
            amount_minor=50000,
            value_on=date(2026, 3, 4),
            reference="RF56BEINV2026000002",
            end_to_end_id="ACME-PAY-7781",
            counterparty_name="Acme GmbH",
            counterparty_iban="DE89370400440532013000",
        ),
        entry(
            entry_id="2026030500003",
            amount_minor=7550,
            reference="RF56BEINV2026000099",
            counterparty_name="Durand SARL",
            counterparty_iban="FR7630006000011234567890189",
        ),
        PAID_IN_FULL,  # the same entry again: same id, for matching to recognise
        entry(
            entry_id="2026030500005/1",  # a batch without references of its own: the entry's, numbered
            amount_minor=10000,
            reference="BE-INV-2026-000003",
            end_to_end_id="BE-INV-2026-000003",
            counterparty_name="Client SA",
            counterparty_iban="BE68539007547034",
        ),
        entry(
            entry_id="2026030500005/2",
            amount_minor=5000,
            reference="BE-INV-2026-000004",
            end_to_end_id="BE-INV-2026-000004",
            counterparty_name="Studio Nord BV",
            counterparty_iban="NL91ABNA0417164300",
        ),
        entry(
            entry_id="2026030500006-R",  # the transaction's own AcctSvcrRef
            amount_minor=8000,
            direction=DEBIT,
            reference="BE-INV-2026-000005",
            end_to_end_id="BE-INV-2026-000005",
            counterparty_name="Client SA",  # not the vendor, named as creditor of its own collection
            counterparty_iban="BE68539007547034",
            return_reason="MD06",
        ),
        # entry 7 is pending (PDNG): not read
    )


def test_issue15_a_camt054_001_08_notification_brings_a_return() -> None:
    statement = read_statement(fixture("notification_054_001_08.xml"))
    assert (statement.statement_id, statement.account_iban) == ("BE71096123456769-N-20260312-01", BE_ACCOUNT)
    assert statement.entries == (
        entry(
            entry_id="2026031200001-R1",
            amount_minor=5000,
            direction=DEBIT,
            booked_on=date(2026, 3, 12),  # from BookgDt/DtTm
            value_on=date(2026, 3, 12),
            reference="BE-INV-2026-000004",
            end_to_end_id="BE-INV-2026-000004",
            counterparty_name="Studio Nord BV",  # 001.08's Dbtr/Pty/Nm
            counterparty_iban="NL91ABNA0417164300",
            return_reason="AM04",
        ),
    )  # the pending credit (Sts/Cd PDNG) is not read


@pytest.mark.parametrize("version", ["04", "06", "08", "13"])
def test_issue15_any_camt053_version_of_the_same_structure_is_read(version: str) -> None:
    data = fixture("statement_053_001_02.xml").replace(b"camt.053.001.02", f"camt.053.001.{version}".encode())
    assert read_statement(data).entries == read_statement(fixture("statement_053_001_02.xml")).entries


@pytest.mark.parametrize("status", ["PDNG", "INFO"])
def test_issue15_entries_not_booked_are_skipped(status: str) -> None:
    data = camt_statement(
        [
            {"amount_minor": 100, "status": status, "reference": "RF83BEINV2026000001"},
            {"amount_minor": 200, "acct_svcr_ref": "B-2", "reference": "RF83BEINV2026000001"},
        ]
    )
    assert [(e.entry_id, e.amount_minor) for e in read_statement(data).entries] == [("B-2", 200)]


def test_issue15_the_kit_writes_what_the_reader_reads() -> None:
    data = camt_statement(
        [
            {
                "amount_minor": 121000,
                "acct_svcr_ref": "K-1",
                "reference": "RF83BEINV2026000001",
                "debtor_name": "Client SA",
                "debtor_iban": "BE68539007547034",
            },
            {"amount_minor": 4200, "reference": "Facture 2026/117 merci"},  # no AcctSvcrRef
            {
                "acct_svcr_ref": "K-3",
                "transactions": [
                    {
                        "amount_minor": 100,
                        "acct_svcr_ref": "K-3a",
                        "end_to_end_id": "BE-INV-2026-000003",
                        "mandate_id": "M-1",
                    },
                    {"amount_minor": 250, "end_to_end_id": "BE-INV-2026-000004", "mandate_id": "M-2"},
                ],
            },
            {
                "amount_minor": 8000,
                "direction": "debit",
                "acct_svcr_ref": "K-4",
                "end_to_end_id": "BE-INV-2026-000005",
                "mandate_id": "M-1",
                "return_reason": "AC04",
                "debtor_name": "Client SA",
                "debtor_iban": "BE68539007547034",
                "creditor_name": "Entitle Software SRL",
                "creditor_iban": BE_ACCOUNT,
            },
            {  # a refund sent to a customer: the creditor is the counterparty
                "amount_minor": 1500,
                "direction": "debit",
                "acct_svcr_ref": "K-5",
                "creditor_name": "Durand SARL",
                "creditor_iban": "FR7630006000011234567890189",
            },
        ],
        statement_id="KIT-1",
    )
    assert [
        (e.entry_id, e.amount_minor, e.direction, e.reference, e.end_to_end_id, e.counterparty_name, e.return_reason)
        for e in read_statement(data).entries
    ] == [
        ("K-1", 121000, CREDIT, "RF83BEINV2026000001", None, "Client SA", None),
        ("KIT-1/2", 4200, CREDIT, "Facture 2026/117 merci", None, None, None),
        ("K-3a", 100, CREDIT, None, "BE-INV-2026-000003", None, None),
        ("K-3/2", 250, CREDIT, None, "BE-INV-2026-000004", None, None),
        ("K-4", 8000, DEBIT, None, "BE-INV-2026-000005", "Client SA", "AC04"),
        ("K-5", 1500, DEBIT, None, None, "Durand SARL", None),
    ]


def test_issue15_a_batch_that_does_not_split_its_amount_is_read_as_one_entry() -> None:
    root = etree.fromstring(
        camt_statement([{"acct_svcr_ref": "B-1", "transactions": [{"amount_minor": 100}, {"amount_minor": 250}]}])
    )
    for amounts in root.iter("{*}AmtDtls"):
        amounts.getparent().remove(amounts)
    (only,) = read_statement(etree.tostring(root)).entries
    assert (only.entry_id, only.amount_minor, only.reference) == ("B-1", 350, None)


def test_issue15_a_single_transaction_is_read_for_the_amount_booked_not_as_instructed() -> None:
    data = fixture("statement_053_001_02.xml").replace(
        b'<AmtDtls><TxAmt><Amt Ccy="EUR">75.50</Amt></TxAmt></AmtDtls>',
        b'<AmtDtls><TxAmt><Amt Ccy="USD">81.20</Amt></TxAmt></AmtDtls>',
    )
    (foreign,) = [e for e in read_statement(data).entries if e.entry_id == "2026030500003"]
    assert (foreign.amount_minor, foreign.currency) == (7550, "EUR")


def test_issue15_a_batch_with_a_part_in_another_currency_is_read_as_one_entry() -> None:
    data = fixture("statement_053_001_02.xml").replace(
        b'<AmtDtls><TxAmt><Amt Ccy="EUR">50.00</Amt></TxAmt></AmtDtls>',
        b'<AmtDtls><TxAmt><Amt Ccy="CHF">48.00</Amt></TxAmt></AmtDtls>',
    )
    batch = [e for e in read_statement(data).entries if e.entry_id.startswith("2026030500005")]
    assert [(e.entry_id, e.amount_minor, e.currency, e.end_to_end_id) for e in batch] == [
        ("2026030500005", 15000, "EUR", None)
    ]


def test_issue15_several_statements_are_read_by_read_statements_and_refused_by_read_statement() -> None:
    root = etree.fromstring(camt_statement([{"amount_minor": 100, "acct_svcr_ref": "A-1"}], statement_id="S-1"))
    second = etree.fromstring(
        camt_statement(
            [{"amount_minor": 200, "acct_svcr_ref": "B-1"}],
            statement_id="S-2",
            account_iban="FR1420041010050500013M02606",
        )
    ).find("{*}BkToCstmrStmt/{*}Stmt")
    root.find("{*}BkToCstmrStmt").append(second)
    data = etree.tostring(root)
    statements = read_statements(data)
    assert [(s.statement_id, s.account_iban, len(s.entries)) for s in statements] == [
        ("S-1", BE_ACCOUNT, 1),
        ("S-2", "FR1420041010050500013M02606", 1),
    ]
    with pytest.raises(UnreadableStatement, match="holds 2 statements"):
        read_statement(data)


def test_issue15_an_external_entity_is_never_resolved() -> None:
    message = refused(fixture("hostile_xxe.xml"))
    assert "DOCTYPE" in message
    assert "root:" not in message


def test_issue15_a_doctype_in_another_encoding_is_refused_after_parsing() -> None:
    # UTF-16 hides "<!DOCTYPE" from a byte search: the parsed tree's DOCTYPE is refused as well.
    text = fixture("hostile_xxe.xml").decode().replace('encoding="UTF-8"', 'encoding="UTF-16"')
    message = refused(text.encode("utf-16"))
    assert "DOCTYPE" in message
    assert "root:" not in message


def test_issue15_entity_expansion_is_refused_before_it_starts() -> None:
    # Refused for its DOCTYPE, before lxml sees it: no entity is ever expanded.
    assert "DOCTYPE" in refused(fixture("hostile_billion_laughs.xml"))


def test_issue15_a_file_that_is_not_xml_is_refused() -> None:
    assert "not well-formed XML" in refused(fixture("not_xml.txt"))
    assert "not well-formed XML" in refused(b"")


def test_issue15_a_file_that_is_not_a_statement_is_refused() -> None:
    assert "pain.001.001.03" in refused(fixture("wrong_root_pain001.xml"))
    assert "an ISO 20022 pain.001.001.03 message" in refused(fixture("wrong_root_pain001.xml"))
    assert "a 'html' document" in refused(b"<html><body>Statement</body></html>")
    camt052 = fixture("statement_053_001_02.xml").replace(b"camt.053.001.02", b"camt.052.001.02")
    assert "camt.052" in refused(camt052)
    mixed = fixture("statement_053_001_02.xml").replace(b"camt.053.001.02", b"camt.054.001.02")
    assert "BkToCstmrDbtCdtNtfctn" in refused(mixed)
    empty = camt_statement([]).replace(b"<Stmt>", b"<Other>").replace(b"</Stmt>", b"</Other>")
    assert "no Stmt" in refused(empty)


def test_issue15_a_file_too_large_is_refused_unread() -> None:
    padding = b" " * (MAX_BYTES + 1 - len(fixture("statement_053_001_02.xml")))
    too_large = fixture("statement_053_001_02.xml").replace(b"</Document>", padding + b"</Document>")
    assert len(too_large) == MAX_BYTES + 1
    assert "MiB" in refused(too_large)


def test_issue15_a_file_with_too_many_entries_is_refused() -> None:
    at_limit = camt_statement([{"amount_minor": 100 + n} for n in range(MAX_ENTRIES)], pretty=False)
    assert len(at_limit) <= MAX_BYTES
    statement = read_statement(at_limit)
    assert len(statement.entries) == MAX_ENTRIES
    assert statement.entries[-1].entry_id == f"KIT-STMT-20260305/{MAX_ENTRIES}"
    over = camt_statement([{"amount_minor": 100 + n} for n in range(MAX_ENTRIES + 1)], pretty=False)
    assert f"more than {MAX_ENTRIES:,} entries" in refused(over)


@pytest.mark.parametrize(
    ("replace", "by", "says"),
    [
        (b'<Amt Ccy="EUR">1210.00</Amt>', b'<Amt Ccy="EUR">1210.001</Amt>', "more decimals than EUR"),
        (b'<Amt Ccy="EUR">1210.00</Amt>', b'<Amt Ccy="EUR">-1210.00</Amt>', "is not an amount"),
        (b'<Amt Ccy="EUR">1210.00</Amt>', b'<Amt Ccy="EUR">0.00</Amt>', "is zero"),
        (b'<Amt Ccy="EUR">1210.00</Amt>', b'<Amt Ccy="euro">1210.00</Amt>', "no ISO 4217 currency"),
        (b'<Amt Ccy="EUR">1210.00</Amt>', b"<Amt>1210.00</Amt>", "no ISO 4217 currency"),
        (b"<BookgDt><Dt>2026-03-05</Dt></BookgDt>", b"<BookgDt><Dt>5/3/2026</Dt></BookgDt>", "is not a date"),
        (b"<BookgDt><Dt>2026-03-05</Dt></BookgDt>", b"<BookgDt><Dt>2026-02-30</Dt></BookgDt>", "is not a date"),
        (b"<BookgDt><Dt>2026-03-05</Dt></BookgDt>", b"", "without a booking date"),
        (b"<Sts>BOOK</Sts>", b"", "no status"),
        (b"<CdtDbtInd>CRDT</CdtDbtInd>\n        <Sts>", b"<CdtDbtInd>PLUS</CdtDbtInd><Sts>", "neither CRDT nor DBIT"),
        (
            b"<IBAN>BE71096123456769</IBAN>\n        </Id>",
            b"<Othr><Id>123</Id></Othr>\n        </Id>",
            "not identified by an IBAN",
        ),
        (b"<Id>BE71096123456769-20260305</Id>", b"", "has no Id"),
        (b"<Nm>Client SA</Nm>", b"<Nm>" + b"N" * 141 + b"</Nm>", "longer than 140"),
        (b"<Ref>RF83BEINV2026000001</Ref>", b"<Ref>" + b"R" * 36 + b"</Ref>", "longer than 35"),
    ],
)
def test_issue15_a_malformed_value_refuses_the_whole_statement_saying_where(
    replace: bytes, by: bytes, says: str
) -> None:
    data = fixture("statement_053_001_02.xml")
    assert replace in data
    message = refused(data.replace(replace, by, 1))
    assert says in message
    assert "statement" in message or "file" in message


def test_issue15_a_statement_read_is_a_statement_of_booked_entries_only() -> None:
    statements: tuple[Statement, ...] = read_statements(fixture("statement_053_001_02.xml"))
    assert all(e.amount_minor > 0 for s in statements for e in s.entries)
    assert all(isinstance(e.direction, Direction) for s in statements for e in s.entries)
    assert "710.00" in fixture("statement_053_001_02.xml").decode()  # the pending entry is in the file…
    assert all(e.amount_minor != 71000 for s in statements for e in s.entries)  # …and not read
