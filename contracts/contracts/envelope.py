"""The CloudEvents-style envelope every message travels in (structured JSON mode)."""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Any, ClassVar

from pydantic import BaseModel, ConfigDict, Field


class Event(BaseModel):
    """Base of every event payload. `type` is the CloudEvents type; `version` its schema version."""

    model_config = ConfigDict(extra="ignore", frozen=True)
    type: ClassVar[str]
    version: ClassVar[int] = 1

    # The field (a dotted path for a nested one) holding the aggregate id.
    key_field: ClassVar[str] = "subscription_id"

    def subject(self) -> str:
        """The aggregate id: also the Kafka key, so one aggregate's events stay in order."""
        value = self
        for name in self.key_field.split("."):
            value = getattr(value, name)
        return str(value)


class Command(Event):
    """A request to a service, carried on its `<domain>.commands.v1` topic."""


class Envelope(BaseModel):
    """CloudEvents 1.0 attributes plus `correlationid`/`causationid` to trace one purchase."""

    model_config = ConfigDict(extra="allow")

    specversion: str = Field("1.0", description="CloudEvents specification version.")
    id: str = Field(description="Unique per event; consumers deduplicate on it.")
    type: str = Field(description="Event type, e.g. `subscription.activated`.")
    source: str = Field(description="The producing service, e.g. `/entitle/subscriptions`.")
    subject: str = Field(description="Aggregate id (subscription or account); also the Kafka key.")
    time: datetime = Field(description="When the fact happened, in the producer's clock (UTC).")
    datacontenttype: str = Field("application/json", description="Media type of `data`.")
    dataschema: str = Field(description="Schema id of `data`: `entitle:<type>:v<version>`.")
    correlationid: str = Field(description="Id shared by every event caused by one request.")
    causationid: str | None = Field(None, description="Id of the event or request that caused this one.")
    data: dict[str, Any] = Field(description="The typed payload; see the event's JSON Schema.")

    @classmethod
    def wrap(
        cls,
        event: Event,
        *,
        source: str,
        time: datetime,
        correlation_id: str | None = None,
        causation_id: str | None = None,
        event_id: str | None = None,
    ) -> Envelope:
        event_id = event_id or str(uuid.uuid4())
        return cls(
            id=event_id,
            type=event.type,
            source=f"/entitle/{source}",
            subject=event.subject(),
            time=time,
            dataschema=f"entitle:{event.type}:v{event.version}",
            correlationid=correlation_id or event_id,
            causationid=causation_id,
            data=event.model_dump(mode="json"),
        )

    def to_json(self) -> bytes:
        return self.model_dump_json(exclude_none=True).encode()
