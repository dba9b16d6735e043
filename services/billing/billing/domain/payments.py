"""What money does to an invoice (issue 15, items 5 and 7): its payment state, and which
invoice each entry of a bank statement pays.

States: `open` (nothing paid), `partially_paid`, `paid`, `overdue` (past its due date, not
paid in full), `void` (credited in full before anything was paid), `uncollectible` (written
off). Every change answers the new balance and the events that say so.

- A payment adds to what was paid: short of the open amount the invoice is partially paid
  (overdue if past its due date), at or past it paid; an over-payment pays it and the excess is
  reported as unapplied, for the finance team to refund or assign. A void invoice takes no
  payment; a written-off one that is paid after all becomes paid.
- A reversal (a returned direct debit, a recalled transfer) takes the payment back: the invoice
  is open again, partially paid if other payments remain, overdue if past its due date.
- Overdue: on the day after the due date, an open or partially paid invoice becomes overdue.
- Write-off: an operator's decision, with a reason; never of a paid or void invoice.
- Void: only while nothing is paid. A credit note that corrects an invoice is applied to its
  open amount; one that clears it while nothing was paid voids it.
- A credit note itself has nothing to pay: it is `paid` from its issue, and says so in no event.

Matching a statement, entry by entry in the file's order (an entry already imported, the same
account and bank reference, is a duplicate and changes nothing):

1. A credit whose reference holds the ISO 11649 creditor reference (`RF…`) of an invoice
   (compared compact and case-insensitive, checked with python-stdnum) pays that invoice.
2. Else a credit whose EndToEndId is an invoice number (billing's own direct-debit collections
   give each the invoice number) pays that invoice.
3. Else a credit of exactly the open amount, in its currency, of exactly one open, partially
   paid or overdue invoice pays it.
4. Else it is unmatched, listed for an operator to assign.

A debit whose EndToEndId is the one of a recorded payment (not yet reversed, same amount and
currency) reverses it; any other debit is unmatched.

A match can be wrong (step 3 looks at every customer's invoices): an operator undoes it. The
entry's payment is reversed exactly as a bank return reverses one (reason `unassigned`), and the
entry is unmatched again, for the operator to assign to the right invoice with a payment of its
own. A payment the bank already returned is not reversed twice.

Amounts are integer minor units; a payment's or an entry's amount is positive.
"""

from __future__ import annotations

import re
import uuid
from collections.abc import Iterable
from dataclasses import dataclass, field, replace
from datetime import date
from enum import Enum

from stdnum import iso11649

from billing.domain.bank import BankEntry, Direction, Statement
from billing.domain.invoices import Invoice, InvoiceKind
from contracts.billing import InvoiceStateChanged, PaymentRecorded, PaymentReversed
from contracts.envelope import Event
from contracts.errors import Refusal, RuleViolation
from contracts.values import Money

OVERDUE_CHECK = "invoice_overdue"


class PaymentState(str, Enum):
    OPEN = "open"
    PARTIALLY_PAID = "partially_paid"
    PAID = "paid"
    OVERDUE = "overdue"
    VOID = "void"
    UNCOLLECTIBLE = "uncollectible"


UNSETTLED = frozenset({PaymentState.OPEN, PaymentState.PARTIALLY_PAID, PaymentState.OVERDUE})


class PaymentMethod(str, Enum):
    BANK_TRANSFER = "bank_transfer"
    DIRECT_DEBIT = "direct_debit"
    MANUAL = "manual"


@dataclass(frozen=True)
class Balance:
    """One invoice's payment state: its total, and what was paid and credited against it."""

    invoice_id: str
    number: str
    account_id: str
    currency: str
    total_minor: int
    due_on: date
    state: PaymentState
    paid_minor: int = 0  # received, net of reversals
    credited_minor: int = 0  # by credit notes that correct it
    reason: str | None = None  # of the last change, where one was given

    @property
    def open_minor(self) -> int:
        return max(self.total_minor - self.paid_minor - self.credited_minor, 0)

    @property
    def unapplied_minor(self) -> int:
        """Received beyond what was owed."""
        return max(self.paid_minor + self.credited_minor - self.total_minor, 0) if self.paid_minor else 0

    def money(self, amount_minor: int) -> Money:
        return Money(amount_minor=amount_minor, currency=self.currency)


@dataclass(frozen=True)
class Payment:
    payment_id: str
    invoice_id: str
    account_id: str
    amount_minor: int
    currency: str
    method: PaymentMethod
    received_on: date
    bank_entry_id: str | None = None
    end_to_end_id: str | None = None  # the bank's, for recognising its return
    note: str | None = None
    reversed_on: date | None = None
    reversal_reason: str | None = None


@dataclass(frozen=True)
class Change:
    """A balance after a rule, and the events that tell it."""

    balance: Balance
    events: tuple[Event, ...]
    unapplied_minor: int = 0  # of this payment, beyond what the invoice still owed


def opened(invoice: Invoice) -> Change:
    """The balance of an invoice just issued: open, due on its due date. A credit note has
    nothing to pay: paid, and no event."""
    credit_note = invoice.kind is InvoiceKind.CREDIT_NOTE
    balance = Balance(
        invoice_id=invoice.invoice_id,
        number=invoice.number,
        account_id=invoice.account_id,
        currency=invoice.total.currency,
        total_minor=max(invoice.total.amount_minor, 0),
        due_on=invoice.due_on,
        state=PaymentState.PAID if credit_note else PaymentState.OPEN,
    )
    return Change(balance, () if credit_note else (state_changed(None, balance),))


def record_payment(balance: Balance, payment: Payment, today: date) -> Change:
    """Money applied to the invoice; past the open amount, the excess is unapplied."""
    if payment.amount_minor <= 0:
        raise RuleViolation("invalid_amount", "A payment is a positive amount.", refusal=Refusal.INVALID)
    if payment.currency != balance.currency:
        raise RuleViolation(
            "currency_mismatch",
            f"{balance.number} is payable in {balance.currency}, not {payment.currency}.",
            refusal=Refusal.INVALID,
        )
    if balance.state is PaymentState.VOID:
        raise RuleViolation("invoice_void", f"{balance.number} is void: it takes no payment.")
    paid = replace(balance, paid_minor=balance.paid_minor + payment.amount_minor, reason=payment.note)
    after = replace(paid, state=_state_with_money(paid, today))
    recorded = PaymentRecorded(
        payment_id=payment.payment_id,
        invoice_id=balance.invoice_id,
        invoice_number=balance.number,
        account_id=balance.account_id,
        amount=balance.money(payment.amount_minor),
        method=payment.method.value,
        received_on=payment.received_on,
        bank_entry_id=payment.bank_entry_id,
    )
    unapplied = min(payment.amount_minor, after.unapplied_minor - balance.unapplied_minor)
    return Change(after, (recorded, *_if_changed(balance, after)), unapplied_minor=max(unapplied, 0))


def reverse_payment(balance: Balance, payment: Payment, on: date, reason: str | None) -> Change:
    """The payment taken back: the invoice owes that amount again."""
    if payment.reversed_on is not None:
        raise RuleViolation("already_reversed", f"Payment {payment.payment_id} was reversed on {payment.reversed_on}.")
    reduced = replace(balance, paid_minor=max(balance.paid_minor - payment.amount_minor, 0), reason=reason)
    after = reduced if balance.state is PaymentState.VOID else replace(reduced, state=_state_with_money(reduced, on))
    reversed_ = PaymentReversed(
        payment_id=payment.payment_id,
        invoice_id=balance.invoice_id,
        account_id=balance.account_id,
        amount=balance.money(payment.amount_minor),
        reason=reason,
        reversed_on=on,
    )
    return Change(after, (reversed_, *_if_changed(balance, after)))


UNASSIGNED = "unassigned"  # the reversal reason of a match an operator undid; a bank's is its ISO code


def undo_match(balance: Balance, payment: Payment, on: date, entry_id: str) -> Change:
    """An operator undoes the match of a bank credit that paid the wrong invoice: its payment is
    reversed as a return would be, so the invoice owes it again (overdue if past its due date).
    The operator's own words stay on the entry: the invoice's events go to its customer, who
    must not read another customer's name there."""
    if payment.reversed_on is not None:  # returned by the bank: the money is gone, nothing to undo
        raise RuleViolation(
            "entry_not_matched",
            f"{entry_id} pays nothing: its payment to {balance.number} was returned on {payment.reversed_on}.",
        )
    return reverse_payment(balance, payment, on, UNASSIGNED)


def undone_note(number: str, payment_id: str, on: date, reason: str) -> str:
    """What an unmatched entry keeps of the match undone: the invoice it paid and why it no longer does."""
    return f"was matched to {number} (payment {payment_id}); unassigned on {on.isoformat()}: {reason.strip()}"[:500]


def mark_overdue(balance: Balance, today: date) -> Change | None:
    """The day after the due date, an open or partially paid invoice is overdue; None: no change."""
    if balance.state not in (PaymentState.OPEN, PaymentState.PARTIALLY_PAID) or today <= balance.due_on:
        return None
    after = replace(balance, state=PaymentState.OVERDUE, reason=None)
    return Change(after, (state_changed(balance.state, after),))


def write_off(balance: Balance, reason: str) -> Change:
    """An operator gives up collecting: uncollectible, with the reason."""
    reason = reason.strip()
    if not reason:
        raise RuleViolation("reason_required", "Say why the invoice is written off.", refusal=Refusal.INVALID)
    if balance.state in (PaymentState.PAID, PaymentState.VOID, PaymentState.UNCOLLECTIBLE):
        raise RuleViolation(
            f"invoice_{balance.state.value}",
            f"{balance.number} is {balance.state.value.replace('_', ' ')}: there is nothing to write off.",
        )
    after = replace(balance, state=PaymentState.UNCOLLECTIBLE, reason=reason)
    return Change(after, (state_changed(balance.state, after),))


def void(balance: Balance, reason: str) -> Change:
    """Cancelled: only while nothing is paid."""
    if balance.paid_minor > 0:
        raise RuleViolation("invoice_has_payments", f"{balance.number} has payments: credit it instead of voiding it.")
    if balance.state is PaymentState.VOID:
        raise RuleViolation("invoice_void", f"{balance.number} is already void.")
    after = replace(balance, state=PaymentState.VOID, reason=reason)
    return Change(after, (state_changed(balance.state, after),))


def apply_credit_note(balance: Balance, credit_minor: int, note_number: str, today: date) -> Change:
    """A credit note correcting the invoice lowers what it owes; clearing it with nothing
    paid voids it."""
    credited = replace(balance, credited_minor=balance.credited_minor + abs(credit_minor))
    if credited.open_minor == 0 and credited.paid_minor == 0 and balance.state is not PaymentState.VOID:
        return void(credited, f"credited by {note_number}")
    if balance.state is PaymentState.VOID:
        return Change(credited, ())
    after = replace(credited, state=_state_with_money(credited, today), reason=f"credited by {note_number}")
    return Change(after, tuple(_if_changed(balance, after)))


def _state_with_money(balance: Balance, today: date) -> PaymentState:
    if balance.open_minor == 0:
        return PaymentState.PAID
    if balance.state is PaymentState.UNCOLLECTIBLE:
        return PaymentState.UNCOLLECTIBLE  # money recovered after a write-off, not all of it
    if today > balance.due_on:
        return PaymentState.OVERDUE
    return PaymentState.PARTIALLY_PAID if balance.paid_minor > 0 else PaymentState.OPEN


def _if_changed(before: Balance, after: Balance) -> list[Event]:
    return [state_changed(before.state, after)] if after.state is not before.state else []


def state_changed(previous: PaymentState | None, balance: Balance) -> InvoiceStateChanged:
    return InvoiceStateChanged(
        invoice_id=balance.invoice_id,
        invoice_number=balance.number,
        account_id=balance.account_id,
        previous=previous.value if previous else None,
        state=balance.state.value,
        paid=balance.money(balance.paid_minor),
        open_amount=balance.money(balance.open_minor),
        due_on=balance.due_on,
        reason=balance.reason,
    )


# -- matching a statement --------------------------------------------------------------------------

_RF_START = re.compile(r"RF\d{2}")
_WORD = re.compile(r"[0-9A-Za-z]+")


def rf_references(text: str | None) -> list[str]:
    """Every valid ISO 11649 reference in `text`, compact and upper case: written as one word
    (`RF83BEINV2026000001`, in any case) or in groups of four as printed (`RF83 BEIN V202 6000
    001`), longest first where groups could end at several places."""
    if not text:
        return []
    words = [word.upper() for word in _WORD.findall(text[:1000])]
    found: list[str] = []
    for i, word in enumerate(words):
        if not _RF_START.match(word):
            continue
        candidates = [word]
        if len(word) == 4:  # the first group of a printed reference: join the groups after it
            joined = word
            for group in words[i + 1 :]:
                if len(group) > 4 or len(joined) + len(group) > 25:
                    break
                joined += group
                candidates.append(joined)
        found += [candidate for candidate in reversed(candidates) if iso11649.is_valid(candidate)]
    return found


class Outcome(str, Enum):
    MATCHED = "matched"
    UNMATCHED = "unmatched"
    DUPLICATE = "duplicate"
    REVERSAL = "reversal"
    ASSIGNED = "assigned"  # unmatched, then assigned by an operator


@dataclass(frozen=True)
class Decision:
    """What one entry did."""

    entry: BankEntry
    outcome: Outcome
    invoice_id: str | None = None
    invoice_number: str | None = None
    payment_id: str | None = None  # the payment made, or reversed
    state_after: PaymentState | None = None  # of the invoice
    unapplied_minor: int = 0
    note: str | None = None  # why it is unmatched


@dataclass
class Ledger:
    """What a statement is matched against: the balances it may touch, found by reference,
    number and id, the payments its debits may return, and the entries already imported. The
    caller loads every balance that an entry's reference, EndToEndId or amount could name, and
    every unsettled one whose open amount equals a credit's; `reconcile` updates it entry by
    entry, so a later entry sees what an earlier one did."""

    balances: dict[str, Balance]  # by invoice id
    by_reference: dict[str, str]  # compact RF reference → invoice id
    by_number: dict[str, str]  # invoice number → invoice id
    payments_by_end_to_end: dict[str, list[Payment]]
    seen_entry_ids: set[str]  # of this account

    def candidates_by_amount(self, amount_minor: int, currency: str) -> list[Balance]:
        return [
            balance
            for balance in self.balances.values()
            if balance.state in UNSETTLED and balance.currency == currency and balance.open_minor == amount_minor
        ]


@dataclass
class Reconciliation:
    decisions: list[Decision] = field(default_factory=list)
    payments: list[Payment] = field(default_factory=list)  # recorded
    reversals: list[Payment] = field(default_factory=list)  # with reversed_on set
    changed: dict[str, Balance] = field(default_factory=dict)  # by invoice id
    events: list[Event] = field(default_factory=list)


def payment_id_for(account_iban: str, entry_id: str, undone: int = 0) -> str:
    """Derived from the bank entry, so the same entry can never make two payments; `undone`:
    how many of its matches were undone before (each gave a payment, reversed, that keeps its id)."""
    suffix = f":{undone}" if undone else ""  # the first payment keeps the id it always had
    return str(uuid.uuid5(uuid.NAMESPACE_URL, f"entitle:payment:{account_iban}:{entry_id}{suffix}"))


def payment_ids_for(account_iban: str, entry_id: str, first: int, count: int) -> list[str]:
    """The entry's derived payment ids, from its `first` undone match on: its next payment takes
    the first of them no payment has yet (ids are taken in order and never freed)."""
    return [payment_id_for(account_iban, entry_id, undone) for undone in range(first, first + count)]


def reconcile(statement: Statement, ledger: Ledger) -> Reconciliation:
    """Each entry of the statement, in order: what it pays or reverses (see the module)."""
    done = Reconciliation()
    for entry in statement.entries:
        if entry.entry_id in ledger.seen_entry_ids:
            done.decisions.append(Decision(entry, Outcome.DUPLICATE, note="imported before"))
            continue
        ledger.seen_entry_ids.add(entry.entry_id)
        if entry.direction is Direction.CREDIT:
            done.decisions.append(_credit(statement.account_iban, entry, ledger, done))
        else:
            done.decisions.append(_debit(entry, ledger, done))
    return done


def _credit(account_iban: str, entry: BankEntry, ledger: Ledger, done: Reconciliation) -> Decision:
    invoice_id, method, note = _invoice_for(entry, ledger)
    if invoice_id is None:
        return Decision(entry, Outcome.UNMATCHED, note=note)
    balance = ledger.balances[invoice_id]
    if balance.currency != entry.currency or balance.state is PaymentState.VOID:
        why = "is void" if balance.state is PaymentState.VOID else f"is payable in {balance.currency}"
        return Decision(entry, Outcome.UNMATCHED, invoice_id, balance.number, note=f"{balance.number} {why}")
    payment = payment_from_entry(account_iban, entry, balance, method)
    change = record_payment(balance, payment, entry.booked_on)
    _keep(change, ledger, done)
    done.payments.append(payment)
    return Decision(
        entry,
        Outcome.MATCHED,
        invoice_id,
        balance.number,
        payment.payment_id,
        change.balance.state,
        change.unapplied_minor,
    )


def payment_from_entry(account_iban: str, entry: BankEntry, balance: Balance, method: PaymentMethod) -> Payment:
    return Payment(
        payment_id=payment_id_for(account_iban, entry.entry_id),
        invoice_id=balance.invoice_id,
        account_id=balance.account_id,
        amount_minor=entry.amount_minor,
        currency=entry.currency,
        method=method,
        received_on=entry.booked_on,
        bank_entry_id=entry.entry_id,
        end_to_end_id=entry.end_to_end_id,
    )


def _invoice_for(entry: BankEntry, ledger: Ledger) -> tuple[str | None, PaymentMethod, str | None]:
    """The invoice a credit pays, how it was paid, and, when none, why."""
    references = rf_references(entry.reference)
    for reference in references:
        if reference in ledger.by_reference:
            return ledger.by_reference[reference], PaymentMethod.BANK_TRANSFER, None
    if entry.end_to_end_id and entry.end_to_end_id in ledger.by_number:
        return ledger.by_number[entry.end_to_end_id], PaymentMethod.DIRECT_DEBIT, None
    candidates = ledger.candidates_by_amount(entry.amount_minor, entry.currency)
    if len(candidates) == 1:
        return candidates[0].invoice_id, PaymentMethod.BANK_TRANSFER, None
    if references:
        note = f"the reference {references[0]} names no invoice"
    elif candidates:
        note = f"{len(candidates)} invoices are open for exactly this amount"
    else:
        note = "no invoice reference, and no open invoice of exactly this amount"
    return None, PaymentMethod.BANK_TRANSFER, note


def _debit(entry: BankEntry, ledger: Ledger, done: Reconciliation) -> Decision:
    key = entry.end_to_end_id or ""
    paid = [payment for payment in ledger.payments_by_end_to_end.get(key, []) if payment.reversed_on is None]
    if not paid:
        return Decision(entry, Outcome.UNMATCHED, note="a debit that returns no payment billing recorded")
    payment = paid[-1]  # the latest: a collection retried after a return is returned last
    balance = ledger.balances[payment.invoice_id]
    if (payment.amount_minor, payment.currency) != (entry.amount_minor, entry.currency):
        note = f"returns {entry.amount_minor} {entry.currency} of a payment of {payment.amount_minor}"
        return Decision(entry, Outcome.UNMATCHED, payment.invoice_id, balance.number, note=note)
    change = reverse_payment(balance, payment, entry.booked_on, entry.return_reason)
    _keep(change, ledger, done)
    reversed_ = replace(payment, reversed_on=entry.booked_on, reversal_reason=entry.return_reason)
    ledger.payments_by_end_to_end[key] = [reversed_ if p is payment else p for p in ledger.payments_by_end_to_end[key]]
    done.reversals.append(reversed_)
    state = change.balance.state
    return Decision(entry, Outcome.REVERSAL, payment.invoice_id, balance.number, payment.payment_id, state)


def _keep(change: Change, ledger: Ledger, done: Reconciliation) -> None:
    ledger.balances[change.balance.invoice_id] = change.balance
    done.changed[change.balance.invoice_id] = change.balance
    done.events.extend(change.events)


def credit_amounts(entries: Iterable[BankEntry]) -> set[tuple[int, str]]:
    """(amount, currency) of the credits: the open amounts an invoice must have to be matched by amount."""
    return {(entry.amount_minor, entry.currency) for entry in entries if entry.direction is Direction.CREDIT}
