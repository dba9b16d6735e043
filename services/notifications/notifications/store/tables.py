"""The tables of the notifications service: its only MetaData. The migrations make exactly these."""

from __future__ import annotations

from sqlalchemy import Boolean, Column, Integer, LargeBinary, MetaData, String, Table, Text, false

from servicekit.store.types import UTCDateTime

metadata = MetaData()

emails = Table(
    "emails",
    metadata,
    Column("email_id", String(64), primary_key=True),
    Column("caused_by", String(64), nullable=False, index=True),
    Column("template", String(64), nullable=False),
    Column("locale", String(8), nullable=False),
    Column("recipient_id", String(64), nullable=False, index=True),
    Column("recipient_email", String(320), nullable=False),
    Column("subscription_id", String(64), nullable=False, index=True),  # or the account, or the person
    Column("account_id", String(64), nullable=False),  # "" for a person's own (verification) e-mail
    Column("correlation_id", String(64), nullable=False),
    Column("subject", String(500), nullable=False),
    Column("text", Text, nullable=False),
    Column("html", Text, nullable=False),
    Column("status", String(16), nullable=False, index=True),  # pending, sent, rejected
    Column("attempts", Integer, nullable=False, default=0),
    Column("last_error", String(2000)),
    # Real time, not the stack's (test) time: SMTP outages and their retries happen in real time.
    Column("next_attempt_at", UTCDateTime),
    Column("created_at", UTCDateTime, nullable=False),
    Column("sent_at", UTCDateTime),
    Column("rejected_at", UTCDateTime),
    # Issue 15, item 3: an invoice e-mail carries its invoice's PDF (domain.emails.OutgoingEmail).
    Column("document_id", String(64), nullable=True, index=True),
    Column("attached", Boolean, nullable=False, default=False, server_default=false()),
    Column("facts", Text, nullable=True),
)

# The invoices' PDFs billing printed (`billing.invoice_printed`), checked against their hash,
# kept until the e-mails carrying them are sent: they may come before their invoice's e-mail.
invoice_documents = Table(
    "invoice_documents",
    metadata,
    Column("invoice_id", String(64), primary_key=True),
    Column("account_id", String(64), nullable=False),
    Column("number", String(32), nullable=False),
    Column("filename", String(100), nullable=False),
    Column("sha256", String(64), nullable=False),
    Column("size_bytes", Integer, nullable=False),
    Column("content", LargeBinary, nullable=True),  # None: too large to carry, the link only
    Column("received_at", UTCDateTime, nullable=False),
)

# The administrator of each subscription or account, as the latest event naming one said.
administrators = Table(
    "administrators",
    metadata,
    Column("subject_id", String(64), primary_key=True),
    Column("account_id", String(64), nullable=False),
    Column("person_id", String(64), nullable=False),
    Column("as_of", UTCDateTime, nullable=False),
)

# Everyone who administered each subscription (or account), with the address events gave:
# seats and billing may name a previous administrator, not yet told of a transfer; an event
# naming someone who never administered it is inconsistent (notifications.domain.consistency).
administrator_history = Table(
    "administrator_history",
    metadata,
    Column("subject_id", String(64), primary_key=True),
    Column("person_id", String(64), primary_key=True),
    Column("email", String(320)),  # lower-cased; None for those recorded before addresses were kept
    Column("since", UTCDateTime, nullable=False),
)
