"""Bank statements for billing's tests: `camt_statement` writes a camt.053.001.02 file, shaped
like tests/fixtures/camt/statement_053_001_02.xml, from a few plain dicts, so a test can issue
invoices first and then receive the statement that pays them.

Each entry dict takes (all optional but `amount_minor`):

    amount_minor     int, euro cents, > 0
    direction        "credit" (default) or "debit"
    currency         "EUR" (default)
    status           "BOOK" (default), "PDNG", "INFO"
    booked_on        date (default: the statement's date); value_on: date (default booked_on)
    acct_svcr_ref    the entry's AcctSvcrRef (default: none, the reader falls back to position)
    reference        "RF…" is written as a structured creditor reference, anything else as Ustrd
    end_to_end_id, mandate_id, return_reason (e.g. "MD06": writes RtrInf/Rsn/Cd)
    debtor_name, debtor_iban, creditor_name, creditor_iban
    transactions     a list of dicts with the same transaction keys (amount_minor, reference,
                     end_to_end_id, mandate_id, return_reason, the parties, and `acct_svcr_ref`
                     for the transaction's own Refs/AcctSvcrRef): one batched entry whose amount
                     is their sum
"""

from __future__ import annotations

from datetime import date
from typing import Any

from lxml import etree
from lxml.builder import ElementMaker

from .invoicing_kit import SELLERS

CAMT_053_02 = "urn:iso:std:iso:20022:tech:xsd:camt.053.001.02"
BE_ACCOUNT = SELLERS.by_id["BE"].iban
STATEMENT_DATE = date(2026, 3, 5)
OPENING_BALANCE = 1_000_000  # 10,000.00 EUR

E = ElementMaker(namespace=CAMT_053_02, nsmap={None: CAMT_053_02})


def camt_statement(
    entries: list[dict[str, Any]],
    statement_id: str = "KIT-STMT-20260305",
    account_iban: str = BE_ACCOUNT,
    statement_date: date = STATEMENT_DATE,
    pretty: bool = True,
) -> bytes:
    """A camt.053.001.02 statement of `account_iban` holding `entries`, as UTF-8 bytes
    (indented unless `pretty` is false, for the largest files)."""
    created = f"{statement_date.isoformat()}T18:00:00+01:00"
    booked = [entry for entry in entries if entry.get("status", "BOOK") == "BOOK"]
    movement = sum(_signed(entry) for entry in booked)
    statement = E.Stmt(
        E.Id(statement_id),
        E.CreDtTm(created),
        E.Acct(E.Id(E.IBAN(account_iban)), E.Ccy("EUR")),
        _balance("OPBD", OPENING_BALANCE, statement_date),
        _balance("CLBD", OPENING_BALANCE + movement, statement_date),
        *(_entry(entry, statement_date) for entry in entries),
    )
    document = E.Document(E.BkToCstmrStmt(E.GrpHdr(E.MsgId(f"MSG-{statement_id}"[:35]), E.CreDtTm(created)), statement))
    return etree.tostring(document, xml_declaration=True, encoding="UTF-8", pretty_print=pretty)


def _signed(entry: dict[str, Any]) -> int:
    amount = entry.get("amount_minor") or sum(tx["amount_minor"] for tx in entry["transactions"])
    return -amount if entry.get("direction", "credit") == "debit" else amount


def _balance(kind: str, minor: int, on: date) -> etree._Element:
    return E.Bal(
        E.Tp(E.CdOrPrtry(E.Cd(kind))),
        _amount(abs(minor)),
        E.CdtDbtInd("DBIT" if minor < 0 else "CRDT"),
        E.Dt(E.Dt(on.isoformat())),
    )


def _amount(minor: int, currency: str = "EUR") -> etree._Element:
    return E.Amt(f"{minor // 100}.{minor % 100:02d}", Ccy=currency)


def _entry(entry: dict[str, Any], statement_date: date) -> etree._Element:
    transactions = entry.get("transactions") or [entry]
    amount = entry.get("amount_minor") or sum(tx["amount_minor"] for tx in transactions)
    booked_on = entry.get("booked_on", statement_date)
    status = entry.get("status", "BOOK")
    indicator = "DBIT" if entry.get("direction", "credit") == "debit" else "CRDT"
    element = E.Ntry(_amount(amount, entry.get("currency", "EUR")), E.CdtDbtInd(indicator), E.Sts(status))
    if status == "BOOK":
        element.append(E.BookgDt(E.Dt(booked_on.isoformat())))
    element.append(E.ValDt(E.Dt(entry.get("value_on", booked_on).isoformat())))
    if entry.get("acct_svcr_ref"):
        element.append(E.AcctSvcrRef(entry["acct_svcr_ref"]))
    element.append(_bank_transaction_code(entry, transactions))
    element.append(E.NtryDtls(*(_transaction(tx, entry) for tx in transactions)))
    return element


def _bank_transaction_code(entry: dict[str, Any], transactions: list[dict[str, Any]]) -> etree._Element:
    # ISO bank transaction codes as the creditor's bank books them: a received transfer, the
    # vendor's own direct debits collected, and their returns.
    if any(tx.get("return_reason") for tx in transactions):
        family, sub_family = "IDDT", "UPDD"
    elif any(tx.get("mandate_id") for tx in transactions):
        family, sub_family = "IDDT", "ESDD"
    else:
        family, sub_family = "RCDT", "ESCT"
    return E.BkTxCd(E.Domn(E.Cd("PMNT"), E.Fmly(E.Cd(family), E.SubFmlyCd(sub_family))))


def _transaction(tx: dict[str, Any], entry: dict[str, Any]) -> etree._Element:
    batched = tx is not entry
    element = E.TxDtls()
    refs = E.Refs()
    if batched and tx.get("acct_svcr_ref"):
        refs.append(E.AcctSvcrRef(tx["acct_svcr_ref"]))
    if tx.get("end_to_end_id"):
        refs.append(E.EndToEndId(tx["end_to_end_id"]))
    if tx.get("mandate_id"):
        refs.append(E.MndtId(tx["mandate_id"]))
    if len(refs):
        element.append(refs)
    element.append(E.AmtDtls(E.TxAmt(_amount(tx["amount_minor"], tx.get("currency", "EUR")))))
    parties = E.RltdPties()
    for role in ("Dbtr", "Cdtr"):
        key = "debtor" if role == "Dbtr" else "creditor"
        if tx.get(f"{key}_name"):
            parties.append(getattr(E, role)(E.Nm(tx[f"{key}_name"])))
        if tx.get(f"{key}_iban"):
            parties.append(getattr(E, f"{role}Acct")(E.Id(E.IBAN(tx[f"{key}_iban"]))))
    if len(parties):
        element.append(parties)
    reference = tx.get("reference")
    if reference and reference.startswith("RF"):
        element.append(E.RmtInf(E.Strd(E.CdtrRefInf(E.Ref(reference)))))
    elif reference:
        element.append(E.RmtInf(E.Ustrd(reference)))
    if tx.get("return_reason"):
        element.append(E.RtrInf(E.Rsn(E.Cd(tx["return_reason"]))))
    return element
