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


class RuleViolation(Exception):
    """A business rule refused the action. `rule` names the DOMAIN.md rule (R1–R34)."""

    def __init__(self, code: str, message: str, *, rule: str | None = None,
                 refusal: Refusal = Refusal.CONFLICT) -> None:
        super().__init__(message)
        self.code, self.message, self.rule, self.refusal = code, message, rule, refusal


def not_found(what: str, ident: str) -> RuleViolation:
    return RuleViolation(f"{what}_not_found", f"No {what} {ident} is visible to you.",
                         refusal=Refusal.NOT_FOUND)


class ErrorBody(BaseModel):
    """Body of every error answer."""

    code: str = Field(description="Stable machine-readable code, e.g. `activation_window_closed`.")
    message: str = Field(description="What went wrong and what to do about it.")
    rule: str | None = Field(None, description="The domain rule that refused it, e.g. `R8`.")
