"""Dunning (issue 15, item 6) as due jobs, in the transaction of the change that causes each step.
The rules are `billing.domain.dunning`'s.

An invoice that becomes overdue gets a plan job, due at once, which schedules its steps with the
policy in force; each step reads the invoice again when it fires and does nothing if it was paid,
voided or written off meanwhile. A suspension leaves a job pending until the suspended terms end:
while it is pending the invoice is suspended, and paying the invoice (or voiding it) publishes the
reinstatement at once and cancels it with every other pending step.

Job ids are `dunning:<invoice id>:<episode>:<step>`, the episode being how many of the invoice's
payments were returned when it became overdue: an invoice overdue again after a returned payment
starts a new episode, and the same episode is never scheduled twice. Events carry ids derived
from their job's, so even a step fired twice reaches consumers once (their inbox).
"""

from __future__ import annotations

import json
import logging
import uuid
from dataclasses import dataclass
from datetime import date
from typing import Any

from sqlalchemy import select

from billing.domain import dunning
from billing.domain.dunning import DunningPolicy, Step, StepKind
from billing.domain.invoices import Invoice
from billing.domain.payments import Balance, PaymentState
from billing.store.uow import BillingUnitOfWork
from contracts.billing import InvoiceStateChanged
from servicekit.scheduler import DueJob, Scheduler
from servicekit.store.tables import due_jobs

log = logging.getLogger("billing.dunning")
JOB_SUBJECT = "billing"  # the stack's clock, as the overdue checks'


@dataclass(frozen=True)
class Dunning:
    """The policy and where invoices are read: what the steps need beyond the database."""

    policy: DunningPolicy
    portal_url: str

    def register(self, scheduler: Scheduler) -> None:
        scheduler.on(dunning.PLAN, self.plan)
        scheduler.on(dunning.REMINDER, self.remind)
        scheduler.on(dunning.SUSPENSION, self.suspend)
        scheduler.on(dunning.SUSPENDED_UNTIL, suspension_over)

    async def plan(self, job: DueJob, uow: BillingUnitOfWork) -> None:
        """The steps of an invoice just overdue, on the days the policy says."""
        found = await _overdue_invoice(job, uow, dunning.SUSPENDED)  # written off meanwhile: still suspends
        if found is None:
            return
        invoice, _ = found
        episode = int(job.payload["episode"])
        suspends_on = self.policy.suspends_on(invoice)
        for step, due_at in dunning.plan(self.policy, invoice, uow.now()):
            kind = dunning.REMINDER if step.kind is StepKind.REMINDER else dunning.SUSPENSION
            payload = {
                "invoice_id": invoice.invoice_id,
                "episode": episode,
                "step": step.number,
                "days": step.days,
                "suspends_on": suspends_on.isoformat() if suspends_on else None,  # the reminders say it
            }
            await uow.schedule(job_id(invoice.invoice_id, episode, step.name), kind, JOB_SUBJECT, due_at, payload)

    async def remind(self, job: DueJob, uow: BillingUnitOfWork) -> None:
        found = await _overdue_invoice(job, uow, dunning.REMINDED)
        if found is None:
            return
        invoice, balance = found
        step = Step(StepKind.REMINDER, int(job.payload["step"]), int(job.payload["days"]))
        suspends_on = date.fromisoformat(job.payload["suspends_on"]) if job.payload.get("suspends_on") else None
        if (event := dunning.reminder(step, invoice, balance, suspends_on, self.portal_url)) is not None:
            await uow.publish(event, event_id=event_id(job.job_id))

    async def suspend(self, job: DueJob, uow: BillingUnitOfWork) -> None:
        found = await _overdue_invoice(job, uow, dunning.SUSPENDED)
        if found is None:
            return
        invoice, balance = found
        event = dunning.suspension(invoice, balance, uow.now(), self.portal_url)
        if event is None:
            log.info("%s suspends nothing: the terms it charged are over", invoice.number)
            return
        await uow.publish(event, event_id=event_id(job.job_id))
        episode = int(job.payload["episode"])
        await uow.schedule(
            job_id(invoice.invoice_id, episode, "suspended-until"),
            dunning.SUSPENDED_UNTIL,
            JOB_SUBJECT,
            max(period.end for period in event.periods),
            {
                "invoice_id": invoice.invoice_id,
                "episode": episode,
                "subscription_ids": [period.subscription_id for period in event.periods],
            },
        )


async def suspension_over(job: DueJob, uow: BillingUnitOfWork) -> None:
    """The suspended terms have ended: nothing is left to refuse, so nothing is said. The invoice
    is still owed (reminders stopped at the last step); paying it later reinstates nothing."""


async def invoice_state_changed(event: InvoiceStateChanged, uow: BillingUnitOfWork) -> None:
    """Called with every payment state change, in its transaction: dunning begins when an invoice
    becomes overdue, its reminders stop when it is written off, and it ends (with its suspension
    lifted) when it is paid or void."""
    previous = PaymentState(event.previous) if event.previous else None
    state = PaymentState(event.state)
    if state is PaymentState.OVERDUE and previous is not PaymentState.OVERDUE:
        await _begin(event.invoice_id, uow)
    elif state is PaymentState.UNCOLLECTIBLE:
        for pending in await _pending(event.invoice_id, uow):
            if pending["kind"] == dunning.REMINDER:
                await uow.cancel_job(pending["job_id"])
    elif state in dunning.CLEARED and previous in dunning.SUSPENDED:
        await _end(event.invoice_id, state, uow)


async def _begin(invoice_id: str, uow: BillingUnitOfWork) -> None:
    if await _pending(invoice_id, uow):
        return  # an episode in progress: this change was seen already
    episode = sum(1 for payment in await uow.payments.of_invoice(invoice_id) if payment.reversed_on is not None)
    payload = {"invoice_id": invoice_id, "episode": episode}
    await uow.schedule(job_id(invoice_id, episode, "plan"), dunning.PLAN, JOB_SUBJECT, uow.now(), payload)


async def _end(invoice_id: str, state: PaymentState, uow: BillingUnitOfWork) -> None:
    for pending in await _pending(invoice_id, uow):
        await uow.cancel_job(pending["job_id"])
        if pending["kind"] != dunning.SUSPENDED_UNTIL:
            continue
        invoice = await uow.invoices.get(invoice_id)
        assert invoice is not None, invoice_id  # a balance row is made with its invoice
        subscription_ids = [str(s) for s in pending["payload"].get("subscription_ids", [])]
        if (lifted := dunning.reinstatement(invoice, state, subscription_ids, uow.now())) is not None:
            await uow.publish(lifted, event_id=event_id(f"{pending['job_id']}:lifted"))


async def _pending(invoice_id: str, uow: BillingUnitOfWork) -> list[dict[str, Any]]:
    """The invoice's dunning jobs not yet done (few: the pending-jobs index narrows them)."""
    rows = await uow.conn.execute(
        select(due_jobs.c.job_id, due_jobs.c.kind, due_jobs.c.payload)
        .where(due_jobs.c.done_at.is_(None), due_jobs.c.job_id.startswith(f"dunning:{invoice_id}:", autoescape=True))
        .order_by(due_jobs.c.due_at, due_jobs.c.job_id)
    )
    return [{"job_id": row.job_id, "kind": row.kind, "payload": json.loads(row.payload)} for row in rows]


async def _overdue_invoice(
    job: DueJob, uow: BillingUnitOfWork, states: frozenset[PaymentState]
) -> tuple[Invoice, Balance] | None:
    """The job's invoice and its balance, if it is still in one of `states`."""
    invoice_id = str(job.payload.get("invoice_id", ""))
    balance = await uow.payments.balance(invoice_id, lock=True)
    if balance is None or balance.state not in states:
        return None
    invoice = await uow.invoices.get(invoice_id)
    return (invoice, balance) if invoice is not None else None


def job_id(invoice_id: str, episode: int, step: str) -> str:
    return f"dunning:{invoice_id}:{episode}:{step}"


def event_id(of_job: str) -> str:
    return str(uuid.uuid5(uuid.NAMESPACE_URL, f"entitle:billing:{of_job}"))
