"""Dead letters: a record that can never succeed, kept in `<group>.dlq` with the reason why."""

from __future__ import annotations

from aiokafka import ConsumerRecord

from contracts.errors import RuleViolation


class DeadLetter(Exception):
    """Why a record is given up on: `malformed`, `schema_invalid`, `inconsistent` (it contradicts
    what the service knows of its subject), `rule_violation`, `handler_failed`."""

    def __init__(self, reason: str, error: Exception) -> None:
        super().__init__(f"{reason}: {error}")
        self.reason, self.error = reason, error


def dead_letter_headers(record: ConsumerRecord, failure: DeadLetter, group: str, attempts: int) -> dict[str, str]:
    """The original headers plus where the record came from and why it was given up on."""
    headers = {k: v.decode(errors="replace") for k, v in (record.headers or ())}
    headers.update(
        {
            "dlq.reason": failure.reason,
            "dlq.error": str(failure.error)[:2000],
            "dlq.error_type": type(failure.error).__name__,
            "dlq.topic": record.topic,
            "dlq.partition": str(record.partition),
            "dlq.offset": str(record.offset),
            "dlq.group": group,
            "dlq.attempts": str(attempts),
        }
    )
    if isinstance(failure.error, RuleViolation) and failure.error.rule:
        headers["dlq.rule"] = failure.error.rule
    return headers
