"""The test clock and the due jobs, for a stack on a shared test clock only (`make run`, the
tests): `servicekit.app` includes this router only there, so a production service has no
route that moves time."""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any

from fastapi import APIRouter
from pydantic import BaseModel, Field

from contracts.errors import Refusal, RuleViolation
from servicekit.http.deps import REQUIRES_OPERATOR
from servicekit.runtime import Runtime

router = APIRouter(tags=["operations"], dependencies=[REQUIRES_OPERATOR])


class ClockAdvance(BaseModel):
    days: int = Field(0, ge=0, description="Days to move forward.")
    seconds: int = Field(0, ge=0, description="Seconds to move forward.")


class ClockSet(BaseModel):
    at: datetime = Field(description="The new time; never earlier than now (time only moves forward).")
    subject: str | None = Field(
        None, description="Move only this subscription's time (it runs ahead of the stack until the stack catches up)."
    )


@router.get("/ops/clock")
async def read_clock(runtime: Runtime, subject: str | None = None) -> dict[str, Any]:
    """The stack's time, or one subscription's (`?subject=<id>`) when it runs ahead."""
    clock = runtime.test_clock
    return {"now": clock.now_for(subject).isoformat(), "subjects_ahead": clock.subject_offsets()}


@router.get("/ops/jobs/next")
async def next_job(runtime: Runtime, subject: str | None = None) -> dict[str, Any]:
    due = await runtime.scheduler.next_due_at(subject)
    return {"due_at": due.isoformat() if due else None}


@router.post("/ops/clock/advance")
async def advance_clock(body: ClockAdvance, runtime: Runtime) -> dict[str, Any]:
    """Move time forward for the whole stack, then fire what is due here."""
    now = runtime.test_clock.advance(timedelta(days=body.days, seconds=body.seconds))
    fired = await runtime.scheduler.fire_due()
    return {"now": now.isoformat(), "fired_here": fired}


@router.post("/ops/clock/set")
async def set_clock(body: ClockSet, runtime: Runtime) -> dict[str, Any]:
    """Move time forward to `at` for the whole stack, or for one subscription (`subject`),
    then fire what is due here."""
    clock = runtime.test_clock
    if body.at.tzinfo is None:
        raise RuleViolation(
            "naive_time", "Give the time with its offset, e.g. 2026-02-01T00:00:00Z.", refusal=Refusal.INVALID
        )
    if body.at < clock.now_for(body.subject):
        raise RuleViolation(
            "clock_moves_forward_only",
            f"The clock is at {clock.now_for(body.subject).isoformat()}; it only moves forward.",
            refusal=Refusal.INVALID,
        )
    if body.subject:
        clock.advance_subject(body.subject, body.at)
    else:
        clock.advance(body.at - clock.now())
    return {"now": clock.now_for(body.subject).isoformat(), "fired_here": await runtime.scheduler.fire_due()}


@router.post("/ops/jobs/fire")
async def fire_jobs(runtime: Runtime) -> dict[str, Any]:
    return {"fired": await runtime.scheduler.fire_due()}
