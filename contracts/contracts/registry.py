"""Which model each event type has, and on which topic it travels."""

from __future__ import annotations

from contracts import billing, identity, notifications, seats, subscriptions, topics
from contracts.envelope import Event

_BY_TOPIC: dict[topics.Topic, tuple[type[Event], ...]] = {
    topics.IDENTITY_EVENTS: (
        identity.AccountRegistered,
        identity.PersonRegistered,
        identity.EmailVerified,
        identity.ContactAdded,
        identity.AccountVerified,
        identity.AccountVerificationLapsed,
        identity.SignedOut,
        identity.AccountWithdrawn,
        identity.BillingDetailsChanged,
    ),
    topics.IDENTITY_INTERNAL: (
        identity.VerificationEmailRequested,
        identity.RegistrationAttempted,
        identity.PasswordResetRequested,
    ),
    topics.SUBSCRIPTIONS_EVENTS: (
        subscriptions.SubscriptionPurchased,
        subscriptions.SubscriptionActivated,
        subscriptions.ActivationExpired,
        subscriptions.CancellationScheduled,
        subscriptions.SubscriptionEnded,
        subscriptions.SubscriptionRenewed,
        subscriptions.GraceStarted,
        subscriptions.CancellationWithdrawn,
        subscriptions.AmendmentProposed,
        subscriptions.TierChanged,
        subscriptions.BillingCycleChangeScheduled,
        subscriptions.AdministratorTransferred,
        subscriptions.PurchaseDetailsChanged,
        subscriptions.OrderAwaitingApproval,
        subscriptions.OrderDecided,
        subscriptions.AddonAdded,
        subscriptions.TrialStarted,
        subscriptions.TrialEnded,
    ),
    topics.SUBSCRIPTIONS_COMMANDS: (subscriptions.PurchaseSubscription,),
    topics.SEATS_EVENTS: (
        seats.SeatsUnlocked,
        seats.SeatQuantityChanged,
        seats.SeatDecreaseScheduled,
        seats.SeatsDeprovisioned,
        seats.UserInvited,
        seats.SeatAssigned,
        seats.SeatUnassigned,
        seats.UsersImported,
        seats.DeviceActivated,
        seats.DeviceDeactivated,
        seats.LeaseRevoked,
        seats.LeaseTaken,
        seats.LeaseHeartbeatMissed,
        seats.LeaseRevived,
        seats.LeaseExpired,
        seats.LeaseBorrowed,
        seats.LeaseReleased,
    ),
    topics.BILLING_EVENTS: (
        billing.InvoiceAdjusted,
        billing.InvoiceIssued,
        billing.PaymentRecorded,
        billing.PaymentReversed,
        billing.InvoiceStateChanged,
        billing.PaymentReminderDue,
        billing.SubscriptionsSuspended,
        billing.SubscriptionsReinstated,
    ),
    topics.BILLING_DOCUMENTS: (billing.InvoicePrinted,),
    topics.NOTIFICATIONS_EVENTS: (notifications.EmailSent, notifications.EmailRejected),
}

EVENT_TYPES: dict[str, type[Event]] = {m.type: m for ms in _BY_TOPIC.values() for m in ms}
_TOPIC_OF: dict[str, topics.Topic] = {m.type: t for t, ms in _BY_TOPIC.items() for m in ms}


def model_for(event_type: str) -> type[Event] | None:
    return EVENT_TYPES.get(event_type)


def topic_for(event: Event | type[Event]) -> topics.Topic:
    return _TOPIC_OF[event.type]


def events_on(topic: topics.Topic) -> tuple[type[Event], ...]:
    return _BY_TOPIC[topic]
