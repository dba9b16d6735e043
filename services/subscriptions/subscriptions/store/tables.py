"""The service's only MetaData and all its tables: subscriptions, amendments, agreements, the
company directory and the unsettled invoices. The repositories beside this module map them to
the domain."""

from __future__ import annotations

from sqlalchemy import Boolean, Column, Integer, MetaData, String, Table, Text

from servicekit.store.types import UTCDateTime

metadata = MetaData()

subscriptions = Table(
    "subscriptions",
    metadata,
    Column("id", String(64), primary_key=True),
    Column("account_id", String(64), nullable=False, index=True),
    Column("admin_person_id", String(64), nullable=False, index=True),
    Column("admin_email", String(320), nullable=False),
    Column("admin_name", String(200), nullable=False),
    Column("admin_locale", String(8), nullable=False),
    Column("product", String(64), nullable=False),
    Column("tier", String(64), nullable=False),
    Column("licence_type", String(32), nullable=False),
    Column("billing_cycle", String(32), nullable=False),
    Column("quantity", Integer, nullable=False),
    Column("unit_price_minor", Integer, nullable=False),
    Column("currency", String(3), nullable=False),
    Column("ordered_at", UTCDateTime, nullable=False),
    Column("status", String(32), nullable=False),
    Column("activated_at", UTCDateTime),
    Column("term_start", UTCDateTime),
    Column("term_end", UTCDateTime),
    Column("fixed_term_end", UTCDateTime),
    Column("cancellation_reason", String(2000)),
    Column("cancels_at", UTCDateTime),
    Column("ended_at", UTCDateTime),
    Column("ended_reason", String(32)),
    Column("grace_ends_at", UTCDateTime),
    Column("trial_ends_at", UTCDateTime),
    Column("started_as_trial", Boolean, nullable=False, default=False),
    Column("po_number", String(100)),
    Column("payment_method", String(200)),
    Column("next_payment_method", String(200)),
    Column("scheduled_cycle", String(32)),
    Column("project_id", String(100), index=True),
    Column("addons", Text, nullable=False, default="[]"),
    # R45: the order's billing details (contracts' BillingDetails as JSON, read whole with the
    # subscription) and the acceptance of the terms of sale.
    Column("billing", Text),
    Column("terms_of_sale_accepted_at", UTCDateTime),
    Column("terms_of_sale_version", String(32)),
)

amendments = Table(
    "amendments",
    metadata,
    Column("id", String(64), primary_key=True),
    Column("subscription_id", String(64), nullable=False, index=True),
    Column("from_tier", String(64), nullable=False),
    Column("to_tier", String(64), nullable=False),
    Column("new_unit_price_minor", Integer, nullable=False),
    Column("currency", String(3), nullable=False),
    Column("proposed_at", UTCDateTime, nullable=False),
    Column("status", String(16), nullable=False),
    Column("decided_at", UTCDateTime),
)

# R36: each purchase's and amendment's agreement, as written when offered: the text is never
# rewritten, so what was accepted stays readable for the life of the subscription.
agreements = Table(
    "agreements",
    metadata,
    Column("subscription_id", String(64), primary_key=True),
    Column("number", Integer, primary_key=True),
    Column("kind", String(16), nullable=False),
    Column("amendment_id", String(64)),
    Column("template_version", String(32), nullable=False),
    Column("content_hash", String(64), nullable=False),
    Column("text", Text, nullable=False),
    Column("issued_at", UTCDateTime, nullable=False),
    Column("status", String(16), nullable=False),
    Column("accepted_by", String(64)),
    Column("accepted_by_name", String(200)),
    Column("accepted_at", UTCDateTime),
)

# The company directory: who may become an administrator (R17, R38), kept from identity's
# public events, never from what a request claims. Members are people identity linked to the
# account (its founder, a contact registered when added); invitees are e-mails added as
# contacts (linked later, when that address registers); people are registered persons.
company_members = Table(
    "company_members",
    metadata,
    Column("account_id", String(64), primary_key=True),
    Column("person_id", String(64), primary_key=True),
)

company_invitees = Table(
    "company_invitees",
    metadata,
    Column("account_id", String(64), primary_key=True),
    Column("email", String(320), primary_key=True),
)

known_people = Table(
    "known_people",
    metadata,
    Column("person_id", String(64), primary_key=True),
    Column("email", String(320), nullable=False, index=True),
    Column("name", String(200), nullable=False),
    Column("locale", String(8), nullable=False),
    Column("registered_at", UTCDateTime, nullable=False),
)

# R20, issue 15: an add-on only when the base subscription's invoices are paid. Billing owns
# invoices and their payment state; this is what subscriptions learnt of them from
# `billing.invoice_state_changed`: per subscription, the invoices not settled yet (open,
# partially paid, overdue, or written off as uncollectible). A paid or void invoice has no row.
unsettled_invoices = Table(
    "unsettled_invoices",
    metadata,
    Column("subscription_id", String(64), primary_key=True),
    Column("invoice_id", String(64), primary_key=True),
    Column("invoice_number", String(64), nullable=False),
    Column("account_id", String(64), nullable=False),
    Column("state", String(32), nullable=False),
)
