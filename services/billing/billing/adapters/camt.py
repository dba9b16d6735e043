"""The bank's statements, read (issue 15, item 5): ISO 20022 camt.053 end-of-day statements
(`BkToCstmrStmt`) and camt.054 debit/credit notifications (`BkToCstmrDbtCdtNtfctn`), of any
version 001.xx whose structure is the one read here (001.02 and 001.08 are tested; the elements
read have kept their place since 001.02, with two moves handled: `Sts` became `Sts/Cd` and a
party's `Nm` moved under `Pty` in 001.08).

A file comes from outside, so it is read defensively: at most `MAX_BYTES`, no DOCTYPE at all
(no entity is ever expanded, no DTD or network fetched: lxml's parser is told so as well), at
most `MAX_ENTRIES` entries, every value bounded. Anything else is refused whole with
`UnreadableStatement`, whose message tells the operator what to do: a statement is imported
entirely or not at all, never half.

Each booked entry becomes one `BankEntry` for the amount booked, or, when the entry batches
several transactions (`NtryDtls/TxDtls`, e.g. a direct-debit collection credited as one amount),
one per transaction for its own part (a batch whose parts lack an amount in the entry's
currency is read as one entry). Pending and information-only entries are skipped: the statement
that books them will bring them. The id of an entry is the bank's `AcctSvcrRef` (the
transaction's, else the entry's, suffixed `/k` for the k-th transaction of a batch that has no
references of its own), else the statement's id and the entry's position; the same entry read
twice has the same id, which is how a file imported twice is recognised. The counterparty is
the debtor of a credit and the creditor of a debit, unless that party's account is the
statement's own (a return of the vendor's own collection names the vendor as creditor): then
it is the other party.

One file may hold several statements (one per account): `read_statements` returns them all,
`read_statement` the only one and refuses a file with more.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import date
from decimal import Decimal, InvalidOperation
from functools import lru_cache

from babel.numbers import get_currency_precision
from lxml import etree

from billing.domain.bank import BankEntry, Direction, Statement, UnreadableStatement

MAX_BYTES = 5 * 1024 * 1024
MAX_ENTRIES = 10_000
NAMESPACE = re.compile(r"urn:iso:std:iso:20022:tech:xsd:(camt\.05[234])\.001\.(\d{2})")
MESSAGES = {  # message: (the element under Document, each statement's element)
    "camt.053": ("BkToCstmrStmt", "Stmt"),
    "camt.054": ("BkToCstmrDbtCdtNtfctn", "Ntfctn"),
}
AMOUNT = re.compile(r"\d{1,18}(\.\d{1,5})?")
CURRENCY = re.compile(r"[A-Z]{3}")
ISO_DATE = re.compile(r"\d{4}-\d{2}-\d{2}")
NOT_PROVIDED = "NOTPROVIDED"
ID_MAX, NAME_MAX, REMITTANCE_MAX = 35, 140, 1_000
NO_DOCTYPE = "the file declares a DOCTYPE or entities: a bank statement has none, so it is refused"
TOO_MANY_ENTRIES = f"the file holds more than {MAX_ENTRIES:,} entries: ask the bank for daily statements"


def read_statement(data: bytes) -> Statement:
    """The one statement (or notification) of a camt.053/054 file."""
    statements = read_statements(data)
    if len(statements) > 1:
        accounts = ", ".join(statement.account_iban for statement in statements)
        raise UnreadableStatement(
            f"the file holds {len(statements)} statements (accounts {accounts}): "
            "ask the bank for one file per account, or import each statement on its own"
        )
    return statements[0]


def read_statements(data: bytes) -> tuple[Statement, ...]:
    """Every statement (or notification) of a camt.053/054 file, in the file's order."""
    root = _parse(data)
    namespace, message, version = _message_of(root)
    document_element, statement_element = MESSAGES[message]
    xml = _Xml(namespace)
    body = xml.find(root, document_element)
    if body is None:
        raise UnreadableStatement(
            f"this {message}.001.{version} file has no {document_element}: it is not a bank statement billing reads"
        )
    if len(xml.findall(body, f"{statement_element}/Ntry")) > MAX_ENTRIES:
        raise UnreadableStatement(TOO_MANY_ENTRIES)
    statements = tuple(
        _statement(xml, element, xml.text(body, "GrpHdr/CreDtTm", ID_MAX, "the file's header") or "")
        for element in xml.findall(body, statement_element)
    )
    if not statements:
        raise UnreadableStatement(f"the file holds no {statement_element}: there is nothing to import")
    if sum(len(statement.entries) for statement in statements) > MAX_ENTRIES:
        raise UnreadableStatement(TOO_MANY_ENTRIES)
    return statements


def _parse(data: bytes) -> etree._Element:
    if not isinstance(data, bytes | bytearray):
        raise UnreadableStatement("a statement is read from the file's bytes")
    if len(data) > MAX_BYTES:
        raise UnreadableStatement(
            f"the file is {len(data):,} bytes, more than the {MAX_BYTES // (1024 * 1024)} MiB a statement may be: "
            "ask the bank for daily statements"
        )
    # Refused before parsing: a DOCTYPE is how entity tricks (XXE, billion laughs) come in, and
    # no bank statement needs one. Checked again on the parsed tree for other encodings.
    if b"<!DOCTYPE" in data or b"<!ENTITY" in data:
        raise UnreadableStatement(NO_DOCTYPE)
    parser = etree.XMLParser(
        resolve_entities=False,
        no_network=True,
        load_dtd=False,
        dtd_validation=False,
        huge_tree=False,
        remove_comments=True,
        remove_pis=True,
    )
    try:
        tree = etree.ElementTree(etree.fromstring(bytes(data), parser))
    except etree.XMLSyntaxError as error:
        raise UnreadableStatement(f"the file is not well-formed XML ({error.msg}): is it a camt.053 file?") from None
    if tree.docinfo.doctype or tree.docinfo.internalDTD is not None:
        raise UnreadableStatement(NO_DOCTYPE)
    return tree.getroot()


def _message_of(root: etree._Element) -> tuple[str, str, str]:
    name = etree.QName(root)
    match = NAMESPACE.fullmatch(name.namespace or "")
    if name.localname != "Document" or match is None:
        iso = re.fullmatch(r"urn:iso:std:iso:20022:tech:xsd:(.{1,40})", name.namespace or "")
        what = f"an ISO 20022 {iso.group(1)} message" if iso else f"a {name.localname[:40]!r} document"
        raise UnreadableStatement(f"the file is {what}, not a camt.053 statement or camt.054 notification")
    message, version = match.groups()
    if message not in MESSAGES:
        raise UnreadableStatement(
            "the file is a camt.052 intraday report: billing imports the day's camt.053 statement instead"
        )
    return match.group(0), message, version


@dataclass(frozen=True)
class _Xml:
    """Paths in the file's own namespace, and values read from them with their bounds checked."""

    namespace: str

    def find(self, element: etree._Element, path: str) -> etree._Element | None:
        return element.find(_qualified(self.namespace, path))

    def findall(self, element: etree._Element, path: str) -> list[etree._Element]:
        return element.findall(_qualified(self.namespace, path))

    def text(self, element: etree._Element, path: str, limit: int, where: str) -> str | None:
        found = self.find(element, path)
        if found is None or found.text is None or not found.text.strip():
            return None
        value = found.text.strip()
        if len(value) > limit:
            raise UnreadableStatement(f"{where}: {path} is longer than {limit} characters")
        return value


@lru_cache(maxsize=256)
def _qualified(namespace: str, path: str) -> str:
    return "/".join(f"{{{namespace}}}{step}" for step in path.split("/"))


def _statement(xml: _Xml, element: etree._Element, message_created: str) -> Statement:
    statement_id = xml.text(element, "Id", ID_MAX, "a statement")
    if statement_id is None:
        raise UnreadableStatement("a statement has no Id: billing could not recognise it if imported twice")
    where = f"statement {statement_id}"
    iban = xml.text(element, "Acct/Id/IBAN", 34, where)
    if iban is None:
        raise UnreadableStatement(f"{where}: its account is not identified by an IBAN")
    created = xml.text(element, "CreDtTm", ID_MAX, where) or message_created
    entries: list[BankEntry] = []
    for position, entry in enumerate(xml.findall(element, "Ntry"), start=1):
        entries.extend(_entries(xml, entry, statement_id, position, _compact(iban)))
    return Statement(
        statement_id=statement_id, account_iban=_compact(iban), created_at_text=created, entries=tuple(entries)
    )


def _entries(xml: _Xml, entry: etree._Element, statement_id: str, position: int, account_iban: str) -> list[BankEntry]:
    where = f"statement {statement_id}, entry {position}"
    status = xml.text(entry, "Sts/Cd", 4, where) or xml.text(entry, "Sts", 4, where)
    if status is None:
        raise UnreadableStatement(f"{where}: no status (Sts): booked or pending?")
    if status != "BOOK":
        return []  # pending (PDNG), information (INFO), future (FUTR): booked later, if ever
    booked_on = _date(xml, entry, "BookgDt", where)
    if booked_on is None:
        raise UnreadableStatement(f"{where}: a booked entry without a booking date (BookgDt)")
    value_on = _date(xml, entry, "ValDt", where)
    entry_amount = _amount(xml, entry, "Amt", where)
    entry_direction = _direction(xml, entry, where)
    if entry_direction is None:
        raise UnreadableStatement(f"{where}: no credit/debit indicator (CdtDbtInd)")
    entry_reference = xml.text(entry, "AcctSvcrRef", ID_MAX, where)
    transactions = xml.findall(entry, "NtryDtls/TxDtls")
    batched = len(transactions) > 1
    parts = [_transaction_amount(xml, tx, f"{where}, transaction {index}") for index, tx in enumerate(transactions, 1)]
    if batched and any(part is None or part[1] != entry_amount[1] for part in parts):
        transactions = []  # a batch that does not say what each part is: read as the one amount it is
    if not transactions:
        amount, currency = entry_amount
        return [
            BankEntry(
                entry_id=entry_reference or f"{statement_id}/{position}",
                amount_minor=amount,
                currency=currency,
                direction=entry_direction,
                booked_on=booked_on,
                value_on=value_on,
                reference=None,
                end_to_end_id=None,
                counterparty_name=None,
                counterparty_iban=None,
                return_reason=None,
            )
        ]
    read: list[BankEntry] = []
    for index, (tx, part) in enumerate(zip(transactions, parts, strict=True), start=1):
        tx_where = f"{where}, transaction {index}" if batched else where
        # One transaction: the amount booked, in the account's currency (its TxAmt may be the
        # amount as instructed, in another). A batch: each transaction's part.
        amount, currency = part if batched and part is not None else entry_amount
        direction = _direction(xml, tx, tx_where) or entry_direction
        own_reference = xml.text(tx, "Refs/AcctSvcrRef", ID_MAX, tx_where)
        if own_reference:
            entry_id = own_reference
        elif entry_reference:
            entry_id = f"{entry_reference}/{index}" if batched else entry_reference
        else:
            entry_id = f"{statement_id}/{position}/{index}" if batched else f"{statement_id}/{position}"
        end_to_end_id = xml.text(tx, "Refs/EndToEndId", ID_MAX, tx_where)
        name, iban = _counterparty(xml, tx, direction, account_iban, tx_where)
        read.append(
            BankEntry(
                entry_id=entry_id,
                amount_minor=amount,
                currency=currency,
                direction=direction,
                booked_on=booked_on,
                value_on=value_on,
                reference=_reference(xml, tx, tx_where),
                end_to_end_id=None if end_to_end_id == NOT_PROVIDED else end_to_end_id,
                counterparty_name=name,
                counterparty_iban=iban,
                return_reason=xml.text(tx, "RtrInf/Rsn/Cd", 4, tx_where)
                or xml.text(tx, "RtrInf/Rsn/Prtry", ID_MAX, tx_where),
            )
        )
    return read


def _amount(xml: _Xml, element: etree._Element, path: str, where: str) -> tuple[int, str]:
    found = xml.find(element, path)
    if found is None:
        raise UnreadableStatement(f"{where}: no amount ({path})")
    text, currency = (found.text or "").strip(), found.get("Ccy", "")
    if not CURRENCY.fullmatch(currency):
        raise UnreadableStatement(f"{where}: {path} has no ISO 4217 currency (Ccy={currency!r})")
    if not AMOUNT.fullmatch(text):
        raise UnreadableStatement(f"{where}: {path} {text[:40]!r} is not an amount")
    try:
        minor = Decimal(text).scaleb(get_currency_precision(currency))
    except InvalidOperation:  # pragma: no cover - the pattern admits decimals only
        raise UnreadableStatement(f"{where}: {path} {text!r} is not an amount") from None
    if minor != minor.to_integral_value():
        raise UnreadableStatement(f"{where}: {path} {text} has more decimals than {currency} has")
    if minor <= 0:
        raise UnreadableStatement(f"{where}: {path} is zero: an entry moves money")
    return int(minor), currency


def _transaction_amount(xml: _Xml, tx: etree._Element, where: str) -> tuple[int, str] | None:
    for path in ("Amt", "AmtDtls/TxAmt/Amt"):  # 001.03 on: TxDtls/Amt; 001.02: only AmtDtls
        if xml.find(tx, path) is not None:
            return _amount(xml, tx, path, where)
    return None


def _direction(xml: _Xml, element: etree._Element, where: str) -> Direction | None:
    indicator = xml.text(element, "CdtDbtInd", 4, where)
    if indicator is None:
        return None
    if indicator not in ("CRDT", "DBIT"):
        raise UnreadableStatement(f"{where}: CdtDbtInd {indicator!r} is neither CRDT nor DBIT")
    return Direction.CREDIT if indicator == "CRDT" else Direction.DEBIT


def _date(xml: _Xml, entry: etree._Element, path: str, where: str) -> date | None:
    # A date-time's date is the bank's booking day as written, whatever its offset.
    text = xml.text(entry, f"{path}/Dt", ID_MAX, where) or xml.text(entry, f"{path}/DtTm", ID_MAX, where)
    if text is None:
        return None
    try:
        if not ISO_DATE.match(text):
            raise ValueError(text)
        return date.fromisoformat(text[:10])
    except ValueError:
        raise UnreadableStatement(f"{where}: {path} {text[:40]!r} is not a date") from None


def _reference(xml: _Xml, tx: etree._Element, where: str) -> str | None:
    structured = xml.text(tx, "RmtInf/Strd/CdtrRefInf/Ref", ID_MAX, where)
    if structured:
        return structured
    lines = [
        line.text.strip() for line in xml.findall(tx, "RmtInf/Ustrd") if line.text is not None and line.text.strip()
    ]
    text = " ".join(lines)
    if len(text) > REMITTANCE_MAX:
        raise UnreadableStatement(f"{where}: the remittance text is longer than {REMITTANCE_MAX} characters")
    return text or None


def _counterparty(
    xml: _Xml, tx: etree._Element, direction: Direction, account_iban: str, where: str
) -> tuple[str | None, str | None]:
    def party(role: str) -> tuple[str | None, str | None]:
        name = xml.text(tx, f"RltdPties/{role}/Nm", NAME_MAX, where) or xml.text(
            tx, f"RltdPties/{role}/Pty/Nm", NAME_MAX, where
        )
        iban = xml.text(tx, f"RltdPties/{role}Acct/Id/IBAN", 34, where)
        return name, _compact(iban) if iban else None

    debtor, creditor = party("Dbtr"), party("Cdtr")
    first, other = (debtor, creditor) if direction is Direction.CREDIT else (creditor, debtor)
    if first[1] == account_iban and any(other):
        return other
    return first


def _compact(iban: str) -> str:
    return "".join(iban.split()).upper()
