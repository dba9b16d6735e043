"""The topic catalogue, the one definition of every topic: names, owners, keys, visibility,
partitions and the broker settings each is created with. Services create what is missing at
start-up; `entitle topics create` creates all of them up front (infra/README.md).
"""

from __future__ import annotations

from dataclasses import dataclass

DAY_MS = 24 * 60 * 60 * 1000
FOREVER = -1

# Public events are the history a downstream team replays from the first offset, and the
# events services rebuild their own views from: kept forever, never compacted (compaction
# would keep only the last event of each subscription).
PUBLIC_RETENTION_MS = FOREVER
# Commands and internal events are worth nothing once applied, and identity's carry
# verification tokens: a week covers a consumer down over a long weekend.
INTERNAL_RETENTION_MS = 7 * DAY_MS
# A dead letter waits for a person to read and redrive it; a month covers holidays.
DEAD_LETTER_RETENTION_MS = 30 * DAY_MS


@dataclass(frozen=True)
class Topic:
    name: str
    owner: str
    key: str
    public: bool
    partitions: int = 3
    retention_ms: int | None = None  # None: by visibility, public or internal
    cleanup_policy: str = "delete"

    @property
    def retention(self) -> int:
        if self.retention_ms is not None:
            return self.retention_ms
        return PUBLIC_RETENTION_MS if self.public else INTERNAL_RETENTION_MS

    def config(self) -> dict[str, str]:
        """The topic-level broker settings it is created with."""
        return {"cleanup.policy": self.cleanup_policy, "retention.ms": str(self.retention)}


IDENTITY_EVENTS = Topic("identity.events.v1", "identity", "account_id", public=True)
IDENTITY_INTERNAL = Topic("identity.internal.v1", "identity", "person_id", public=False)
SUBSCRIPTIONS_EVENTS = Topic("subscriptions.events.v1", "subscriptions", "subscription_id", public=True)
SUBSCRIPTIONS_COMMANDS = Topic("subscriptions.commands.v1", "subscriptions", "subscription_id", public=False)
SEATS_EVENTS = Topic("seats.events.v1", "seats", "subscription_id", public=True)
BILLING_EVENTS = Topic("billing.events.v1", "billing", "subscription_id", public=True)
# The printed invoices, for notifications to attach: large records, read by one consumer.
BILLING_DOCUMENTS = Topic("billing.documents.v1", "billing", "account_id", public=False)
NOTIFICATIONS_EVENTS = Topic("notifications.events.v1", "notifications", "subscription_id", public=True)

ALL_TOPICS: tuple[Topic, ...] = (
    IDENTITY_EVENTS,
    IDENTITY_INTERNAL,
    SUBSCRIPTIONS_EVENTS,
    SUBSCRIPTIONS_COMMANDS,
    SEATS_EVENTS,
    BILLING_EVENTS,
    BILLING_DOCUMENTS,
    NOTIFICATIONS_EVENTS,
)

# Consumer group → the service that runs it (one group per consuming service).
CONSUMER_GROUPS: dict[str, str] = {
    "identity": "identity",  # seats' invitations: seat users are contacts of the company (R39)
    "subscriptions": "subscriptions",
    "seats": "seats",
    "billing": "billing",
    "notifications": "notifications",
}


def owned_by(service: str) -> tuple[Topic, ...]:
    return tuple(t for t in ALL_TOPICS if t.owner == service)


def dead_letter_topic(consumer_group: str) -> str:
    """Dead letters of one consumer group: `<group>.dlq`."""
    return f"{consumer_group}.dlq"


def dead_letters_of(consumer_group: str) -> Topic:
    """One partition: dead letters are few, and read and redriven in the order they failed."""
    return Topic(
        dead_letter_topic(consumer_group),
        CONSUMER_GROUPS.get(consumer_group, consumer_group),
        "the failed record's own key",
        public=False,
        partitions=1,
        retention_ms=DEAD_LETTER_RETENTION_MS,
    )


DEAD_LETTER_TOPICS: tuple[Topic, ...] = tuple(dead_letters_of(group) for group in CONSUMER_GROUPS)


def every_topic() -> tuple[Topic, ...]:
    """What a broker needs before the services start: the catalogue and the dead-letter topics."""
    return ALL_TOPICS + DEAD_LETTER_TOPICS


def topic_named(name: str) -> Topic | None:
    """The definition of a topic, dead-letter topics of any group included; None if unknown."""
    if name.endswith(".dlq"):
        return dead_letters_of(name.removesuffix(".dlq"))
    return next((t for t in ALL_TOPICS if t.name == name), None)
