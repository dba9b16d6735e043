"""Entitle's public event catalogue.

Every event a service publishes is a pydantic model here, wrapped in a CloudEvents-style
`Envelope`. Any Kafka client can read the JSON without this package; Python consumers can use
`parse_envelope` and `EVENT_TYPES` to get typed payloads.
"""

from contracts.envelope import Command, Envelope, Event
from contracts.registry import EVENT_TYPES, model_for, topic_for

__all__ = ["EVENT_TYPES", "Command", "Envelope", "Event", "model_for", "topic_for"]
