"""Identity's tables, its only MetaData: people, accounts, contacts, verification documents,
verification and password-reset links, sessions, sign-in limits."""

from __future__ import annotations

from sqlalchemy import Column, Date, ForeignKey, Index, Integer, LargeBinary, MetaData, String, Table, UniqueConstraint

from servicekit.store.types import UTCDateTime

metadata = MetaData()

people = Table(
    "people",
    metadata,
    Column("id", String(64), primary_key=True),
    Column("email", String(320), nullable=False, unique=True),
    Column("name", String(200), nullable=False),
    Column("locale", String(8), nullable=False),
    Column("password_hash", String(255), nullable=False),
    Column("terms_version", String(32), nullable=False),
    Column("registered_at", UTCDateTime, nullable=False),
    Column("email_verified_at", UTCDateTime, nullable=True),
)
accounts = Table(
    "accounts",
    metadata,
    Column("id", String(64), primary_key=True),
    Column("company_name", String(200), nullable=False),
    Column("administrator_id", String(64), nullable=False),
    Column("registered_at", UTCDateTime, nullable=False),
    Column("status", String(32), nullable=False),
    Column("verified_at", UTCDateTime, nullable=True),
    Column("customer_type", String(32), nullable=True),  # R44
)
# Every contact of an account; a member (may act for it) once person_id is set (R2, R4).
# There is no way to delete a row (R5).
contacts = Table(
    "contacts",
    metadata,
    Column("id", String(64), primary_key=True),
    Column("account_id", String(64), nullable=False),
    Column("email", String(320), nullable=False),
    Column("first_name", String(100), nullable=False),
    Column("last_name", String(100), nullable=False),
    Column("locale", String(8), nullable=False),
    Column("role", String(32), nullable=False),
    Column("added_at", UTCDateTime, nullable=False),
    Column("person_id", String(64), nullable=True),
    UniqueConstraint("account_id", "email"),
)
Index("contacts_by_email", contacts.c.email)
Index("contacts_by_person", contacts.c.person_id)


def single_use_links(name: str) -> Table:
    """Only the SHA-256 of each token: the token itself is in the e-mail alone (R1)."""
    return Table(
        name,
        metadata,
        Column("token_hash", String(64), primary_key=True),
        Column("person_id", String(64), nullable=False, index=True),
        Column("created_at", UTCDateTime, nullable=False),
        Column("expires_at", UTCDateTime, nullable=False),
        Column("state", String(16), nullable=False),
    )


verification_links = single_use_links("verification_links")
password_resets = single_use_links("password_resets")

# Every session a sign-in started, so that a new password can end all of a person's sessions.
# The account is the one its first token acted for (what `identity.signed_out` names).
sign_in_sessions = Table(
    "sign_in_sessions",
    metadata,
    Column("session_id", String(64), primary_key=True),
    Column("person_id", String(64), nullable=False, index=True),
    Column("account_id", String(64), nullable=False),
    Column("started_at", UTCDateTime, nullable=False),
    Column("expires_at", UTCDateTime, nullable=False),
    # R42: the device a sign-in kept by refresh tokens was made on, and when it last refreshed.
    Column("device_name", String(100), nullable=True),
    Column("last_used_at", UTCDateTime, nullable=True),
)
# R42: refresh tokens of kept sign-ins, only their SHA-256. Spent ones stay until the sign-in
# would have expired, so that one presented again is recognised as reuse and ends the sign-in.
refresh_tokens = Table(
    "refresh_tokens",
    metadata,
    Column("token_hash", String(64), primary_key=True),
    Column("session_id", String(64), nullable=False, index=True),
    Column("issued_at", UTCDateTime, nullable=False),
    Column("expires_at", UTCDateTime, nullable=False),
    Column("spent_at", UTCDateTime, nullable=True),
)
# Product clients (OAuth 2.0 client credentials, issue 14), one product each: only the SHA-256
# of the secret, and during a rotation the previous secret's with the moment it stops working.
product_clients = Table(
    "product_clients",
    metadata,
    Column("client_id", String(64), primary_key=True),
    Column("product", String(64), nullable=False, index=True),
    Column("name", String(200), nullable=False),
    Column("secret_hash", String(64), nullable=False),
    Column("previous_secret_hash", String(64), nullable=True),
    Column("previous_valid_until", UTCDateTime, nullable=True),
    Column("created_at", UTCDateTime, nullable=False),
    Column("rotated_at", UTCDateTime, nullable=True),
    Column("revoked_at", UTCDateTime, nullable=True),
)
# Sessions ended by signing out; kept until their last token would have expired anyway.
revoked_sessions = Table(
    "revoked_sessions",
    metadata,
    Column("session_id", String(64), primary_key=True),
    Column("person_id", String(64), nullable=False),
    Column("signed_out_at", UTCDateTime, nullable=False),
)
sign_in_throttles = Table(
    "sign_in_throttles",
    metadata,
    Column("email", String(320), primary_key=True),
    Column("failures", Integer, nullable=False),
    Column("last_failure_at", UTCDateTime, nullable=True),
    Column("blocked_until", UTCDateTime, nullable=True),
)

# R44: the account's current document of each kind (a new upload replaces one not accepted).
account_documents = Table(
    "account_documents",
    metadata,
    Column("id", String(64), primary_key=True),
    Column("account_id", String(64), nullable=False),
    Column("kind", String(32), nullable=False),
    Column("filename", String(200), nullable=False),
    Column("media_type", String(32), nullable=False),
    Column("size", Integer, nullable=False),
    Column("sha256", String(64), nullable=False),
    Column("uploaded_at", UTCDateTime, nullable=False),
    Column("uploaded_by", String(64), nullable=False),
    Column("issued_on", Date, nullable=True),
    Column("status", String(16), nullable=False),
    Column("decided_at", UTCDateTime, nullable=True),
    Column("refusal_reason", String(500), nullable=True),
    UniqueConstraint("account_id", "kind"),
)
# The file itself, apart so that listing documents never loads megabytes; in the database (not
# under VAR_DIR) so that it is written, replaced and backed up in the same transaction as its row.
document_contents = Table(
    "document_contents",
    metadata,
    Column("document_id", String(64), ForeignKey("account_documents.id", ondelete="CASCADE"), primary_key=True),
    Column("content", LargeBinary, nullable=False),
)

# Issue 15: the account's billing details (`contracts.parties.AccountBillingDetails`, flattened),
# one row per account, and who last changed them, when. The VAT number is kept compact with its
# country prefix, as contracts.parties normalises it.
billing_details = Table(
    "billing_details",
    metadata,
    Column("account_id", String(64), primary_key=True),
    Column("legal_name", String(200), nullable=False),
    Column("address_line1", String(200), nullable=False),
    Column("address_line2", String(200), nullable=True),
    Column("postcode", String(20), nullable=False),
    Column("city", String(100), nullable=False),
    Column("country", String(2), nullable=False),
    Column("vat_number", String(20), nullable=True),
    Column("invoicing_email", String(320), nullable=True),
    Column("changed_at", UTCDateTime, nullable=False),
    Column("changed_by", String(64), nullable=False),
)
