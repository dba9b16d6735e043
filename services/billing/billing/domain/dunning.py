"""Dunning (issue 15, item 6): what happens to an invoice that stays unpaid past its due date.

- Reminders: on each configured day after the due date (`BILLING_REMINDER_DAYS`, 3, 10 and 20 by
  default) an overdue invoice is reminded, in its own language, to its administrator and its
  invoicing address.
- Suspension: on `BILLING_SUSPEND_AFTER_DAYS` (30 by default, after the last reminder) the terms
  the invoice charged in whole are suspended, and nothing else. Only a line charging a whole term
  (`LineKind.TERM`: an activation or a renewal) suspends its subscription, for that line's period.
  A line charging part of a term (seats added mid-term, a tier change, an add-on, a correction of
  a renewal's seats) is chased by reminders only: the term it adds to was paid on another
  invoice, and suspending the whole subscription for the unpaid part would take away a period
  already paid for, which is what Kill Bill's users complain of when an account is blocked whole.
  A credit note never enters dunning (it has nothing to pay: it is `paid` from its issue).
- A written-off (uncollectible) invoice gets no more reminders (the finance team stopped asking),
  but its suspension still falls due and stays until it is paid: writing a debt off in the books
  does not give away the term it was for.
- Reinstatement: at once when the invoice is paid, or void (a credit note cleared it).

Steps fall due at 00:00 UTC, counted in days from the due date. An invoice that becomes overdue
late (a payment returned long after the due date) does not get every reminder it missed at
once: only the latest step already past falls due at once, then the others on their days.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from enum import Enum
from itertools import pairwise

from billing.domain.invoices import Invoice, InvoiceKind
from billing.domain.lines import LineKind
from billing.domain.payments import Balance, PaymentState
from contracts.billing import PaymentReminderDue, SubscriptionsReinstated, SubscriptionsSuspended, SuspendedPeriod

MAX_DAYS = 365
MAX_REMINDERS = 10
PLAN = "dunning_plan"  # schedules an overdue invoice's steps, with the policy in force
REMINDER = "dunning_reminder"
SUSPENSION = "dunning_suspension"
SUSPENDED_UNTIL = "dunning_suspended_until"  # pending while suspended; falls due when the periods end
REASON = "payment_overdue"

REMINDED = frozenset({PaymentState.OVERDUE})
SUSPENDED = frozenset({PaymentState.OVERDUE, PaymentState.UNCOLLECTIBLE})
CLEARED = frozenset({PaymentState.PAID, PaymentState.VOID})


def parse_days(text: str) -> tuple[int, ...]:
    """`"3,10,20"` → (3, 10, 20); a ValueError saying what is wrong otherwise."""
    parts = [part.strip() for part in text.split(",")] if text.strip() else []
    if len(parts) > MAX_REMINDERS:
        raise ValueError(f"at most {MAX_REMINDERS} reminder days, not {len(parts)}")
    days: list[int] = []
    for part in parts:
        if not part.isdigit() or len(part) > 3:
            raise ValueError(f"reminder days are whole numbers of days separated by commas, not {part!r}")
        days.append(int(part))
    if any(not 1 <= day <= MAX_DAYS for day in days):
        raise ValueError(f"reminder days are 1 to {MAX_DAYS} days after the due date: {text!r}")
    if any(later <= earlier for earlier, later in pairwise(days)):
        raise ValueError(f"reminder days must increase: {text!r}")
    return tuple(days)


class StepKind(str, Enum):
    REMINDER = "reminder"
    SUSPENSION = "suspension"


@dataclass(frozen=True)
class Step:
    kind: StepKind
    number: int  # a reminder's, from 1; the suspension's is the reminders' count + 1
    days: int  # after the due date

    @property
    def name(self) -> str:
        return f"reminder-{self.number}" if self.kind is StepKind.REMINDER else "suspension"

    def due_at(self, due_on: date) -> datetime:
        return at_midnight(due_on + timedelta(days=self.days))


@dataclass(frozen=True)
class DunningPolicy:
    reminder_days: tuple[int, ...]
    suspend_after_days: int  # 0: never suspend

    @classmethod
    def of(cls, reminder_days: tuple[int, ...], suspend_after_days: int) -> DunningPolicy:
        """Checked: a ValueError saying what is wrong."""
        if not 0 <= suspend_after_days <= MAX_DAYS:
            raise ValueError(
                f"the suspension is 1 to {MAX_DAYS} days after the due date (0: never), not {suspend_after_days}"
            )
        if suspend_after_days and reminder_days and suspend_after_days <= reminder_days[-1]:
            raise ValueError(
                f"the suspension ({suspend_after_days} days after the due date) must come after the last "
                f"reminder ({reminder_days[-1]} days), so that the reminders can warn of it"
            )
        return cls(reminder_days, suspend_after_days)

    def steps(self, suspends: bool) -> list[Step]:
        """Every step, in order; the suspension only for an invoice that `suspends`."""
        steps = [Step(StepKind.REMINDER, n, days) for n, days in enumerate(self.reminder_days, start=1)]
        if suspends and self.suspend_after_days:
            steps.append(Step(StepKind.SUSPENSION, len(steps) + 1, self.suspend_after_days))
        return steps

    def suspends_on(self, invoice: Invoice) -> date | None:
        """When the invoice suspends access if still unpaid; None if it never would."""
        if not self.suspend_after_days:
            return None
        day = invoice.due_on + timedelta(days=self.suspend_after_days)
        return day if suspended_periods(invoice, at_midnight(day)) else None


def at_midnight(day: date) -> datetime:
    return datetime.combine(day, time(), tzinfo=UTC)


def plan(policy: DunningPolicy, invoice: Invoice, now: datetime) -> list[tuple[Step, datetime]]:
    """The steps of an invoice that has just become overdue, each with when it falls due. Steps
    already past are not all sent at once: only the latest of them, now."""
    if invoice.kind is not InvoiceKind.INVOICE:
        return []
    steps = [(step, step.due_at(invoice.due_on)) for step in policy.steps(policy.suspends_on(invoice) is not None)]
    past = [step for step, due_at in steps if due_at <= now]
    return ([(past[-1], now)] if past else []) + [(step, due_at) for step, due_at in steps if due_at > now]


def suspended_periods(invoice: Invoice, at: datetime) -> list[SuspendedPeriod]:
    """What an unpaid invoice suspends at `at`: each whole term it charged that has not ended, one
    per subscription (see the module: a line for part of a term suspends nothing). A term over
    by then is not suspended: there is no access left in it to refuse."""
    if invoice.kind is not InvoiceKind.INVOICE:
        return []
    periods: dict[str, SuspendedPeriod] = {}
    for line in invoice.lines:
        whole_term = line.kind is LineKind.TERM and line.amount.amount_minor > 0
        if whole_term and line.period_end > at and line.subscription_id not in periods:
            periods[line.subscription_id] = SuspendedPeriod(
                subscription_id=line.subscription_id, start=line.period_start, end=line.period_end
            )
    return list(periods.values())


def invoice_url(portal_url: str, invoice: Invoice) -> str:
    return f"{portal_url.rstrip('/')}/invoices/{invoice.invoice_id}"


def reminder(
    step: Step, invoice: Invoice, balance: Balance, suspends_on: date | None, portal_url: str
) -> PaymentReminderDue | None:
    """The reminder, if the invoice is still overdue (paid, void or written off meanwhile: none);
    `suspends_on` is the day its plan set for the suspension."""
    if balance.state not in REMINDED or balance.open_minor == 0:
        return None
    administrator = invoice.administrator
    return PaymentReminderDue(
        invoice_id=invoice.invoice_id,
        number=invoice.number,
        account_id=invoice.account_id,
        step=step.number,
        days_overdue=step.days,
        due_on=invoice.due_on,
        open_amount=balance.money(balance.open_minor),
        total=invoice.total,
        payment_reference=invoice.payment_reference,
        administrator=administrator,
        invoicing_email=invoice.buyer.email if invoice.buyer.email != administrator.email else None,
        language=invoice.language,
        suspends_on=suspends_on,
        url=invoice_url(portal_url, invoice),
    )


def suspension(invoice: Invoice, balance: Balance, now: datetime, portal_url: str) -> SubscriptionsSuspended | None:
    """The suspension, if the invoice is still unpaid (overdue or written off) and charged a
    whole term; None otherwise."""
    periods = suspended_periods(invoice, now)
    if balance.state not in SUSPENDED or balance.open_minor == 0 or not periods:
        return None
    return SubscriptionsSuspended(
        invoice_id=invoice.invoice_id,
        number=invoice.number,
        account_id=invoice.account_id,
        reason=REASON,
        suspended_at=now,
        due_on=invoice.due_on,
        open_amount=balance.money(balance.open_minor),
        periods=periods,
        administrator=invoice.administrator,
        language=invoice.language,
        url=invoice_url(portal_url, invoice),
    )


def reinstatement(
    invoice: Invoice, state: PaymentState, subscription_ids: list[str], now: datetime
) -> SubscriptionsReinstated | None:
    """The suspension lifted, when the invoice is paid or void; None while it still owes."""
    if state not in CLEARED:
        return None
    return SubscriptionsReinstated(
        invoice_id=invoice.invoice_id,
        number=invoice.number,
        account_id=invoice.account_id,
        reinstated_at=now,
        subscription_ids=subscription_ids,
        why=state.value,
        administrator=invoice.administrator,
        language=invoice.language,
    )
