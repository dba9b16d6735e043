"""The topic catalogue: names, owners, keys, visibility and partitions."""
from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class Topic:
    name: str
    owner: str
    key: str
    public: bool
    partitions: int = 3


IDENTITY_EVENTS = Topic("identity.events.v1", "identity", "account_id", public=True)
IDENTITY_INTERNAL = Topic("identity.internal.v1", "identity", "person_id", public=False)
SUBSCRIPTIONS_EVENTS = Topic("subscriptions.events.v1", "subscriptions", "subscription_id", public=True)
SUBSCRIPTIONS_COMMANDS = Topic("subscriptions.commands.v1", "subscriptions", "subscription_id", public=False)
SEATS_EVENTS = Topic("seats.events.v1", "seats", "subscription_id", public=True)
BILLING_EVENTS = Topic("billing.events.v1", "billing", "subscription_id", public=True)
NOTIFICATIONS_EVENTS = Topic("notifications.events.v1", "notifications", "subscription_id", public=True)

ALL_TOPICS: tuple[Topic, ...] = (
    IDENTITY_EVENTS, IDENTITY_INTERNAL, SUBSCRIPTIONS_EVENTS, SUBSCRIPTIONS_COMMANDS,
    SEATS_EVENTS, BILLING_EVENTS, NOTIFICATIONS_EVENTS,
)


def owned_by(service: str) -> tuple[Topic, ...]:
    return tuple(t for t in ALL_TOPICS if t.owner == service)


def dead_letter_topic(consumer_group: str) -> str:
    """Dead letters of one consumer group: `<group>.dlq`."""
    return f"{consumer_group}.dlq"
