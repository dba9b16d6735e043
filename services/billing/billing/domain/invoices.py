"""Which lines go on which invoice, and how invoices are numbered (R30, R31, R32).

- One invoice per account, PO number in force and currency; the PO number is the one in
  force when the invoice is issued, not when the line was made (R18, R31).
- Lines summing below zero are a credit note (`CN-…`); no invoice has a negative total.
- The total is the exact sum of the lines, with no rounding of its own (R32).
"""

from __future__ import annotations

import uuid
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, replace
from datetime import UTC, datetime
from enum import Enum

from billing.domain.lines import InvoiceLine
from billing.domain.subscriptions import INVOICED_AT_ONCE, SubscriptionView
from contracts.values import Contact, Money

MONTHLY_RUN = "monthly_invoicing"


class InvoiceKind(str, Enum):
    INVOICE = "invoice"
    CREDIT_NOTE = "credit_note"

    @property
    def prefix(self) -> str:
        return "CN" if self is InvoiceKind.CREDIT_NOTE else "INV"


@dataclass(frozen=True)
class InvoiceDraft:
    """Lines that will share one invoice; not yet numbered."""

    account_id: str
    po_number: str | None
    administrator: Contact
    lines: tuple[InvoiceLine, ...]

    @property
    def total(self) -> Money:
        return Money(
            amount_minor=sum(line.amount.amount_minor for line in self.lines), currency=self.lines[0].amount.currency
        )

    @property
    def kind(self) -> InvoiceKind:
        return InvoiceKind.CREDIT_NOTE if self.total.amount_minor < 0 else InvoiceKind.INVOICE


@dataclass(frozen=True)
class Invoice:
    invoice_id: str
    number: str
    kind: InvoiceKind
    account_id: str
    po_number: str | None
    administrator: Contact
    issued_at: datetime
    lines: tuple[InvoiceLine, ...]
    total: Money


def group_lines(lines: Iterable[InvoiceLine], views: Mapping[str, SubscriptionView]) -> list[InvoiceDraft]:
    """Pending lines grouped into drafts. Lines of a subscription billing knows no administrator
    of yet are left out: they wait for a later issue, as no one could receive them."""
    groups: dict[tuple[str, str | None, str], list[InvoiceLine]] = {}
    administrators: dict[tuple[str, str | None, str], Contact] = {}  # of the group's last line
    for line in sorted(lines, key=lambda line: (line.period_start, line.line_id)):
        view = views.get(line.subscription_id)
        if view is None or view.administrator is None:
            continue
        key = (line.account_id, view.po_number, line.amount.currency)
        groups.setdefault(key, []).append(line)
        administrators[key] = view.administrator
    return [
        InvoiceDraft(
            account_id=account, po_number=po, lines=tuple(grouped), administrator=administrators[account, po, currency]
        )
        for (account, po, currency), grouped in groups.items()
    ]


def due_at_once(lines: Iterable[InvoiceLine], view: SubscriptionView) -> list[InvoiceLine]:
    """R30: annual and fixed-term lines are invoiced as soon as they exist. A line made before
    billing knew the cycle (a seat event seen before the activation) follows the view's cycle."""
    return [
        line for line in lines if line.invoice_id is None and (line.cycle or view.billing_cycle) in INVOICED_AT_ONCE
    ]


def due_for_monthly_run(lines: Iterable[InvoiceLine], run_at: datetime) -> list[InvoiceLine]:
    """R30: the run on the 1st issues every pending line that took effect before it."""
    return [line for line in lines if line.invoice_id is None and line.period_start < run_at]


def counter_name(kind: InvoiceKind, issued_at: datetime) -> str:
    return f"{kind.prefix}-{issued_at.year}"


def invoice_number(kind: InvoiceKind, issued_at: datetime, sequence: int) -> str:
    return f"{counter_name(kind, issued_at)}-{sequence:06d}"


def invoice_id_for(caused_by: str, draft: InvoiceDraft) -> str:
    """Derived from what issued it, so issuing again for the same cause names the same invoice."""
    key = f"entitle:invoice:{caused_by}:{draft.account_id}:{draft.po_number}:{draft.total.currency}"
    return str(uuid.uuid5(uuid.NAMESPACE_URL, key))


def issue(draft: InvoiceDraft, invoice_id: str, sequence: int, issued_at: datetime) -> Invoice:
    lines = tuple(replace(line, invoice_id=invoice_id) for line in draft.lines)
    return Invoice(
        invoice_id=invoice_id,
        number=invoice_number(draft.kind, issued_at, sequence),
        kind=draft.kind,
        account_id=draft.account_id,
        po_number=draft.po_number,
        administrator=draft.administrator,
        issued_at=issued_at,
        lines=lines,
        total=draft.total,
    )


def first_of_next_month(at: datetime) -> datetime:
    """00:00 UTC on the 1st of the month after `at`: when the monthly run issues (R11, R30)."""
    at = at.astimezone(UTC)
    year, month = (at.year + 1, 1) if at.month == 12 else (at.year, at.month + 1)
    return datetime(year, month, 1, tzinfo=UTC)


def monthly_run_job_id(due_at: datetime) -> str:
    return f"{MONTHLY_RUN}:{due_at:%Y-%m}"
