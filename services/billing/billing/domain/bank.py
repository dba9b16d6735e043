"""What the bank tells billing, as billing reads it (issue 15, item 5): the entries of an
account statement (ISO 20022 camt.053, or a camt.054 notification), whatever the file's
version. `billing.adapters.camt` reads the files into these values; `billing.domain.payments`
decides what each entry pays; neither knows the other's side.

Amounts are integer minor units, always positive: `direction` says which way the money went.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from enum import Enum


class Direction(str, Enum):
    CREDIT = "credit"  # money in: a transfer from a customer, a direct debit collected
    DEBIT = "debit"  # money out: a direct debit returned or rejected, a refund


@dataclass(frozen=True)
class BankEntry:
    """One booked entry (or one transaction of a batched entry: a collection of many direct
    debits is one `Ntry` with one `TxDtls` per debtor, and is read as one entry each)."""

    entry_id: str  # unique per bank account and entry: AcctSvcrRef, else the statement's id + position
    amount_minor: int  # > 0
    currency: str  # ISO 4217
    direction: Direction
    booked_on: date
    value_on: date | None
    reference: str | None  # structured creditor reference (RF…) or the remittance text, as sent
    end_to_end_id: str | None  # for a direct debit: the collection's EndToEndId billing gave it
    counterparty_name: str | None
    counterparty_iban: str | None
    return_reason: str | None  # ISO 20022 return reason code (AC04, AM04, MD06, …) on a return


@dataclass(frozen=True)
class Statement:
    """One statement (camt.053 `Stmt`) or notification (camt.054 `Ntfctn`) of one account."""

    statement_id: str  # the bank's `Stmt/Id` (or `Ntfctn/Id`): importing it twice is recognised
    account_iban: str
    created_at_text: str  # `CreDtTm` as written, for the operator's eyes
    entries: tuple[BankEntry, ...]


class UnreadableStatement(ValueError):
    """The file is not a camt.053/054 billing can read; the message says what, for the operator."""
