"""The seats service's tables: its only MetaData. Every table is here; the repositories
(`store/<aggregate>.py`) map them to the domain."""

from __future__ import annotations

from sqlalchemy import JSON, Column, Index, Integer, MetaData, String, Table, Text, UniqueConstraint

from servicekit.store.types import UTCDateTime

metadata = MetaData()

# Seat pools and assignments (R21, R25).
pools = Table(
    "seat_pools",
    metadata,
    Column("subscription_id", String(64), primary_key=True),
    Column("account_id", String(64), nullable=False, index=True),
    Column("admin_person_id", String(64), nullable=False),
    Column("admin_email", String(320), nullable=False),
    Column("admin_name", String(200), nullable=False),
    Column("admin_locale", String(8), nullable=False),
    Column("licence_type", String(32), nullable=False),
    Column("quantity", Integer, nullable=False),
    Column("status", String(32), nullable=False),
    Column("term_start", UTCDateTime),
    Column("term_end", UTCDateTime),
    Column("unit_price_minor", Integer),
    Column("currency", String(3)),
    Column("scheduled_quantity", Integer),
    Column("deprovision_at", UTCDateTime),
    Column("decrease_requested_at", UTCDateTime),
    Column("trial_ends_at", UTCDateTime),
    Column("product", String(64), nullable=False, server_default=""),
    Column("tier", String(64), nullable=False, server_default=""),
    Column("keys_per_person", Integer, nullable=False, server_default="1"),
    Column("ordered_quantity", Integer),
    # How the product is used at the tier in force (contracts.values.Software as JSON), from the
    # events that put the tier in force; the add-on codes added to the subscription (R20).
    # They go into entitlements, "My software" (R40) and the licence e-mail (R41).
    Column("software", JSON),
    Column("add_ons", JSON),
)

assignments = Table(
    "seat_assignments",
    metadata,
    Column("subscription_id", String(64), primary_key=True),
    Column("user_id", String(64), primary_key=True),
    Column("email", String(320), nullable=False),
    Column("assigned_at", UTCDateTime, nullable=False),
)
# The access query looks a person up by e-mail (or by their seat user's id).
Index("seat_assignments_email", assignments.c.email)

# Users of subscriptions, people known to be registered, and who ever had a trial seat (R22, R10).
seat_users = Table(
    "seat_users",
    metadata,
    Column("user_id", String(64), primary_key=True),
    Column("subscription_id", String(64), nullable=False),
    Column("email", String(320), nullable=False),
    Column("first_name", String(200), nullable=False),
    Column("last_name", String(200), nullable=False),
    Column("locale", String(8), nullable=False),
    Column("status", String(16), nullable=False),
    Column("person_id", String(64)),
    Column("added_at", UTCDateTime, nullable=False),
    Column("invited_at", UTCDateTime),
    UniqueConstraint("subscription_id", "email", name="seat_users_one_per_email"),
)
Index("seat_users_email", seat_users.c.email)
Index("seat_users_person", seat_users.c.person_id)

# Identity's PersonRegistered, kept so a user added after registering is registered at once.
registered_people = Table(
    "registered_people",
    metadata,
    Column("email", String(320), primary_key=True),
    Column("person_id", String(64), nullable=False),
    Column("registered_at", UTCDateTime, nullable=False),
)

# R10: whoever once held a seat of a trial pool falls back to Standard, not to a new trial.
trial_seat_holders = Table(
    "trial_seat_holders",
    metadata,
    Column("email", String(320), primary_key=True),
    Column("first_assigned_at", UTCDateTime, nullable=False),
)

# Bulk import drafts and their rows (R23).
user_imports = Table(
    "user_imports",
    metadata,
    Column("import_id", String(64), primary_key=True),
    Column("subscription_id", String(64), nullable=False, index=True),
    Column("status", String(16), nullable=False),
    Column("created_at", UTCDateTime, nullable=False),
    Column("submitted_at", UTCDateTime),
    Column("progressed_at", UTCDateTime),
    Column("finished_at", UTCDateTime),
    Column("done", Integer, nullable=False),
    Column("added", Integer, nullable=False),
    Column("dropped", Text, nullable=False),  # JSON: the duplicate rows dropped, with the reason
)

import_rows = Table(
    "user_import_rows",
    metadata,
    Column("import_id", String(64), primary_key=True),
    Column("row_no", Integer, primary_key=True),
    Column("email", String(320), nullable=False),
    Column("first_name", String(200), nullable=False),
    Column("last_name", String(200), nullable=False),
    Column("errors", Text, nullable=False),  # JSON list of what is wrong with the row
)

# Floating-seat leases (R26).
leases = Table(
    "seat_leases",
    metadata,
    Column("lease_id", String(64), primary_key=True),
    Column("subscription_id", String(64), nullable=False),
    Column("person_id", String(64), nullable=False),
    Column("email", String(320), nullable=False),
    Column("session_id", String(128)),
    Column("acquired_at", UTCDateTime, nullable=False),
    Column("expires_at", UTCDateTime, nullable=False),
    Column("released_at", UTCDateTime),
    # Issue 14: the pool's account and product (the lease's events carry them), the revive
    # window after a missed heartbeat, offline borrowing, and what the lease job already told.
    Column("account_id", String(64), nullable=False, server_default=""),
    Column("product", String(64), nullable=False, server_default=""),
    Column("revivable_until", UTCDateTime),
    Column("borrowed_until", UTCDateTime),
    Column("missed_at", UTCDateTime),
    Column("ended_at", UTCDateTime),
)
Index("seat_leases_live", leases.c.subscription_id, leases.c.released_at, leases.c.expires_at)
Index("seat_leases_person", leases.c.person_id, leases.c.session_id)
Index("seat_leases_email", leases.c.email)

# Node-locked activation keys and the device each is bound to (R27).
activation_keys = Table(
    "activation_keys",
    metadata,
    Column("key_id", String(32), primary_key=True),
    Column("subscription_id", String(64), nullable=False, index=True),
    Column("account_id", String(64), nullable=False),
    Column("created_at", UTCDateTime, nullable=False),
    Column("device_id", String(200)),
    Column("device_name", String(200)),
    Column("activated_at", UTCDateTime),
    Column("person_id", String(64)),  # who activated it (R27)
    Column("email", String(320)),  # their e-mail then
    # R41: reserved for the seat user it was assigned to (sent in their licence e-mail), until
    # they lose their seat; only they activate it.
    Column("kept_for_user_id", String(64)),
)
Index("activation_keys_device", activation_keys.c.device_id)
# A person's active keys: counted against the pool's policy, deactivated when they lose their seat.
Index("activation_keys_holder", activation_keys.c.subscription_id, activation_keys.c.person_id)

# Issue 14: the keys a person deactivated themselves (a device reset), counted over a rolling 30
# days against `SEATS_DEVICE_RESETS_PER_30_DAYS`; older rows are deleted as new ones come.
device_resets = Table(
    "device_resets",
    metadata,
    Column("reset_id", String(64), primary_key=True),
    Column("person_id", String(64), nullable=False),
    Column("subscription_id", String(64), nullable=False),
    Column("key_id", String(32), nullable=False),
    Column("reset_at", UTCDateTime, nullable=False),
)
Index("device_resets_person", device_resets.c.person_id, device_resets.c.reset_at)
# R41: the key kept for a user, found at activation and freed at unassignment.
Index("activation_keys_kept", activation_keys.c.subscription_id, activation_keys.c.kept_for_user_id)

# R43 (R10): what a person keeps of a product after a trial fell back or their seat was revoked:
# the free standard tier, or a trial they may start. Read by the access query when no seat is in
# force; `subscription_id` is the one they fell back from (its administrator may ask about it).
fallbacks = Table(
    "seat_fallbacks",
    metadata,
    Column("email", String(320), primary_key=True),
    Column("product", String(64), primary_key=True),
    Column("person_id", String(64)),
    Column("fallback", String(16), nullable=False),
    Column("tier", String(64), nullable=False),
    Column("subscription_id", String(64), nullable=False),
    Column("recorded_at", UTCDateTime, nullable=False),
)
Index("seat_fallbacks_person", fallbacks.c.person_id, fallbacks.c.product)

# Issue 15, item 6: the periods billing suspended for an overdue invoice, one row per invoice,
# subscription and period; deleted when billing reinstates the invoice. The access query reads
# those of the subscriptions that grant a seat, not yet ended.
payment_suspensions = Table(
    "payment_suspensions",
    metadata,
    Column("invoice_id", String(64), primary_key=True),
    Column("subscription_id", String(64), primary_key=True),
    Column("starts_at", UTCDateTime, primary_key=True),
    Column("ends_at", UTCDateTime, nullable=False),
    Column("suspended_at", UTCDateTime, nullable=False),
    Column("number", String(64), nullable=False),
    Column("reason", String(32), nullable=False),
)
Index("payment_suspensions_subscription", payment_suspensions.c.subscription_id, payment_suspensions.c.ends_at)
