"""Refusals shared by every service's domain, and the JSON shape they take over HTTP."""

from __future__ import annotations

from enum import Enum

from pydantic import BaseModel, Field


class Refusal(str, Enum):
    """Why a command was refused; each maps to one HTTP status."""

    FORBIDDEN = "forbidden"
    NOT_FOUND = "not_found"
    CONFLICT = "conflict"
    INVALID = "invalid"
    UNAUTHENTICATED = "unauthenticated"
    RATE_LIMITED = "rate_limited"  # HTTP 429 with Retry-After


class RuleViolation(Exception):
    """A business rule refused the action. `rule` names the DOMAIN.md rule (R1–R34)."""

    def __init__(
        self, code: str, message: str, *, rule: str | None = None, refusal: Refusal = Refusal.CONFLICT
    ) -> None:
        super().__init__(message)
        self.code, self.message, self.rule, self.refusal = code, message, rule, refusal


class TooManyRequests(RuleViolation):
    """A limit on how often something may be done was reached: HTTP 429 with
    `Retry-After: retry_after_seconds`."""

    def __init__(self, code: str, message: str, retry_after_seconds: int, *, rule: str | None = None) -> None:
        super().__init__(code, message, rule=rule, refusal=Refusal.RATE_LIMITED)
        self.retry_after_seconds = max(1, int(retry_after_seconds))


class InconsistentEvent(RuleViolation):
    """An event contradicts what the consuming service already knows about its subject (another
    owner account, an administrator it never had, an activation of a subscription it never saw
    bought). A consumer dead-letters it with the reason `inconsistent` and applies nothing: a
    forged or corrupted event must not change state."""

    def __init__(self, message: str) -> None:
        super().__init__("inconsistent_event", message, refusal=Refusal.CONFLICT)


def not_found(what: str, ident: str) -> RuleViolation:
    return RuleViolation(f"{what}_not_found", f"No {what} {ident} is visible to you.", refusal=Refusal.NOT_FOUND)


class ErrorBody(BaseModel):
    """Body of every error answer."""

    code: str = Field(description="Stable machine-readable code, e.g. `activation_window_closed`.")
    message: str = Field(description="What went wrong and what to do about it.")
    rule: str | None = Field(None, description="The domain rule that refused it, e.g. `R8`.")
