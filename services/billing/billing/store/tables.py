"""Billing's tables: its view of each subscription, seat events waiting for it, invoice lines,
invoices and their counters, the buyers' billing details, and what was paid: each invoice's
payment state, the payments, and the bank statements imported with their entries; the SEPA
Direct Debit mandates, collections and collection files."""

from __future__ import annotations

from sqlalchemy import (
    BigInteger,
    Column,
    Date,
    Index,
    Integer,
    LargeBinary,
    MetaData,
    String,
    Table,
    Text,
    UniqueConstraint,
)

from servicekit.store.types import UTCDateTime

metadata = MetaData()

subscriptions = Table(
    "billing_subscriptions",
    metadata,
    Column("subscription_id", String(64), primary_key=True),
    Column("account_id", String(64), nullable=False, index=True),
    # The administrator: R6 reads and the invoice e-mail go to this person.
    Column("admin_person_id", String(64), nullable=True, index=True),
    Column("admin_email", String(320), nullable=True),
    Column("admin_name", String(200), nullable=True),
    Column("admin_locale", String(8), nullable=True),
    Column("product", String(64), nullable=False, default=""),
    Column("tier", String(64), nullable=False, default=""),
    Column("billing_cycle", String(16), nullable=True),
    Column("unit_price_minor", Integer, nullable=True),
    Column("currency", String(3), nullable=True),
    Column("quantity", Integer, nullable=True),
    Column("quantity_at", UTCDateTime, nullable=True),
    Column("term_start", UTCDateTime, nullable=True),
    Column("term_end", UTCDateTime, nullable=True),
    Column("po_number", String(100), nullable=True),
    Column("payment_method", String(100), nullable=True),
    Column("scheduled_quantity", Integer, nullable=True),
    Column("scheduled_at", UTCDateTime, nullable=True),
    Column("decrease_requested_at", UTCDateTime, nullable=True),
    Column("renewal_quantity", Integer, nullable=True),
    # purchased, trialing or active; NULL: never seen bought (see billing.handlers.consistency).
    Column("stage", String(16), nullable=True),
)

# Seat events read before their subscription runs (the seats topic is read beside the
# subscriptions topic, in no fixed order between the two): applied when it starts, never
# before (issue 11, item 1). One a subscription never starts stays here, never applied.
parked_events = Table(
    "billing_parked_events",
    metadata,
    Column("seq", Integer, primary_key=True, autoincrement=True),
    Column("subscription_id", String(64), nullable=False, index=True),
    Column("event_type", String(100), nullable=False),
    Column("payload", Text, nullable=False),
    Column("caused_by", String(64), nullable=False),
    Column("parked_at", UTCDateTime, nullable=False),
    UniqueConstraint("caused_by", name="uq_billing_parked_events_cause"),
)

invoice_lines = Table(
    "invoice_lines",
    metadata,
    Column("line_id", String(64), primary_key=True),
    Column("subscription_id", String(64), nullable=False, index=True),
    Column("account_id", String(64), nullable=False, index=True),
    Column("kind", String(32), nullable=False),
    Column("description", String(500), nullable=False),
    Column("period_start", UTCDateTime, nullable=False),
    Column("period_end", UTCDateTime, nullable=False),
    Column("quantity_delta", Integer, nullable=False),
    Column("unit_price_minor", Integer, nullable=False),
    Column("days_remaining", Integer, nullable=False),
    Column("days_in_term", Integer, nullable=False),
    Column("amount_minor", Integer, nullable=False),
    Column("currency", String(3), nullable=False),
    Column("caused_by", String(64), nullable=False),
    Column("billing_cycle", String(16), nullable=True),
    Column("invoice_id", String(64), nullable=True, index=True),
    # Set when an invoice takes the line (issue 15): the rate as exact decimal text ("5.5").
    Column("vat_category", String(4), nullable=True),
    Column("vat_rate", String(8), nullable=True),
    Column("vat_minor", Integer, nullable=True),
    # One line of each kind per causing event, whatever happens to the inbox.
    UniqueConstraint("caused_by", "kind", name="uq_invoice_lines_cause_kind"),
)

invoices = Table(
    "invoices",
    metadata,
    Column("invoice_id", String(64), primary_key=True),
    Column("number", String(32), nullable=False, unique=True),
    Column("kind", String(16), nullable=False),
    Column("account_id", String(64), nullable=False, index=True),
    Column("po_number", String(100), nullable=True),
    Column("admin_person_id", String(64), nullable=False),
    Column("admin_email", String(320), nullable=False),
    Column("admin_name", String(200), nullable=False),
    Column("admin_locale", String(8), nullable=False),
    Column("issued_at", UTCDateTime, nullable=False),
    Column("total_minor", Integer, nullable=False),  # payable: net + VAT
    Column("currency", String(3), nullable=False),
    # Issue 15: the legal document, frozen when issued. Invoices issued before it have NULL
    # seller and buyer (their total is their net: no VAT was charged).
    Column("seller_id", String(8), nullable=True, index=True),
    Column("seller", Text, nullable=True),  # JSON: the seller block as printed
    Column("buyer", Text, nullable=True),  # JSON: the buyer block as printed
    Column("vat_summary", Text, nullable=True),  # JSON: one entry per (category, rate)
    Column("net_minor", Integer, nullable=True),
    Column("vat_minor", Integer, nullable=True),
    Column("due_on", Date, nullable=True),
    Column("payment_reference", String(25), nullable=True, unique=True),
    Column("language", String(8), nullable=True),
    Column("corrects", String(32), nullable=True),  # a credit note: the number it corrects
    Column("reason", String(500), nullable=True),
)

# The buyer of each account, as identity last published it (`identity.billing_details_changed`)
# or, until it does, as an order captured it (R45).
buyers = Table(
    "billing_buyers",
    metadata,
    Column("account_id", String(64), primary_key=True),
    Column("details", Text, nullable=False),  # JSON: contracts.parties.AccountBillingDetails
    Column("source", String(16), nullable=False),  # identity | order
    Column("changed_at", UTCDateTime, nullable=False),
)

# One row per number series (`BE-INV-2026`, `FR-CN-2026`), bumped in the issuing transaction.
invoice_counters = Table(
    "invoice_counters",
    metadata,
    Column("series", String(16), primary_key=True),
    Column("last_sequence", Integer, nullable=False),
)

# Each invoice's payment state (issue 15, item 5), one row per invoice and credit note, made
# when it is issued. The number, account, total and due date are copied from the invoice, so
# matching a statement reads this table alone; `open_minor` is kept for matching by amount.
invoice_balances = Table(
    "invoice_balances",
    metadata,
    Column("invoice_id", String(64), primary_key=True),
    Column("number", String(32), nullable=False),
    Column("account_id", String(64), nullable=False, index=True),
    Column("currency", String(3), nullable=False),
    Column("total_minor", BigInteger, nullable=False),
    Column("due_on", Date, nullable=False),
    Column("state", String(16), nullable=False, index=True),
    Column("paid_minor", BigInteger, nullable=False),
    Column("credited_minor", BigInteger, nullable=False),
    Column("open_minor", BigInteger, nullable=False, index=True),
    Column("reason", String(500), nullable=True),
    Column("changed_at", UTCDateTime, nullable=False),
    UniqueConstraint("number", name="uq_invoice_balances_number"),
)

payments = Table(
    "payments",
    metadata,
    Column("payment_id", String(64), primary_key=True),
    Column("invoice_id", String(64), nullable=False, index=True),
    Column("account_id", String(64), nullable=False),
    Column("amount_minor", BigInteger, nullable=False),
    Column("currency", String(3), nullable=False),
    Column("method", String(16), nullable=False),
    Column("received_on", Date, nullable=False),
    Column("bank_entry_id", String(80), nullable=True),
    # The bank's EndToEndId of the credit: how a return (a debit quoting it) is recognised.
    Column("end_to_end_id", String(35), nullable=True, index=True),
    Column("note", String(500), nullable=True),
    Column("recorded_at", UTCDateTime, nullable=False),
    Column("reversed_on", Date, nullable=True),
    Column("reversal_reason", String(35), nullable=True),
)

# One row per statement imported: its summary is the answer to importing it again.
bank_statements = Table(
    "bank_statements",
    metadata,
    Column("seq", Integer, primary_key=True, autoincrement=True),
    Column("account_iban", String(34), nullable=False),
    Column("statement_id", String(35), nullable=False),
    Column("created_at_text", String(35), nullable=False),
    Column("imported_at", UTCDateTime, nullable=False),
    Column("summary", Text, nullable=True),  # JSON, written when the import ends (same transaction)
    UniqueConstraint("account_iban", "statement_id", name="uq_bank_statements_account_statement"),
)

# Every entry read, once per account and bank reference: a statement repeating an entry, or a
# notification and then the statement booking the same entry, finds it here (a duplicate).
bank_entries = Table(
    "bank_entries",
    metadata,
    Column("seq", Integer, primary_key=True, autoincrement=True),
    Column("account_iban", String(34), nullable=False),
    Column("entry_id", String(80), nullable=False),
    Column("statement_id", String(35), nullable=False),
    Column("amount_minor", BigInteger, nullable=False),
    Column("currency", String(3), nullable=False),
    Column("direction", String(8), nullable=False),
    Column("booked_on", Date, nullable=False),
    Column("value_on", Date, nullable=True),
    Column("reference", String(1000), nullable=True),
    Column("end_to_end_id", String(35), nullable=True),
    Column("counterparty_name", String(140), nullable=True),
    Column("counterparty_iban", String(34), nullable=True),
    Column("return_reason", String(35), nullable=True),
    # matched, unmatched, reversal or assigned (a duplicate is never stored twice)
    Column("outcome", String(16), nullable=False, index=True),
    Column("invoice_id", String(64), nullable=True),
    Column("payment_id", String(64), nullable=True),
    Column("note", String(500), nullable=True),
    Column("imported_at", UTCDateTime, nullable=False),
    Column("assigned_at", UTCDateTime, nullable=True),
    UniqueConstraint("account_iban", "entry_id", name="uq_bank_entries_account_entry"),
)

# Each invoice printed for its e-mail (issue 15, item 3): an invoice without a row here is still
# to print. Invoices issued before this table were marked printed when it was made (their
# e-mails had gone, link only): they have no size nor hash.
invoice_prints = Table(
    "billing_invoice_prints",
    metadata,
    Column("invoice_id", String(64), primary_key=True),
    # Queued in the transaction that issues the invoice; printed_at NULL until printed. The
    # printer reads the queue by this index: what is pending, never the history.
    Column("queued_at", UTCDateTime, nullable=False),
    Column("printed_at", UTCDateTime, nullable=True, index=True),
    Column("size_bytes", Integer, nullable=True),
    Column("sha256", String(64), nullable=True),
)

# SEPA Direct Debit (issue 15, item 5): the mandates accounts gave, every one kept (a revoked
# one still names the collections made under it). The reference is unique for the creditor,
# whichever account it is; at most one mandate of an account is active (not revoked).
sepa_mandates = Table(
    "sepa_mandates",
    metadata,
    Column("seq", Integer, primary_key=True, autoincrement=True),
    Column("account_id", String(64), nullable=False, index=True),
    Column("mandate_reference", String(35), nullable=False),
    Column("debtor_name", String(70), nullable=False),
    Column("iban", String(34), nullable=False),
    Column("bic", String(11), nullable=True),
    Column("signed_on", Date, nullable=False),
    Column("sequence", String(4), nullable=False),  # FRST until a collection under it went into a file
    Column("created_at", UTCDateTime, nullable=False),
    Column("revoked_at", UTCDateTime, nullable=True),
    UniqueConstraint("mandate_reference", name="uq_sepa_mandates_reference"),
)
Index(
    "uq_sepa_mandates_active_account",
    sepa_mandates.c.account_id,
    unique=True,
    sqlite_where=sepa_mandates.c.revoked_at.is_(None),
    postgresql_where=sepa_mandates.c.revoked_at.is_(None),
)

# One collection per invoice, recorded on its due date under the account's mandate: `pending`
# until an operator's collection file takes it (`in_file`), or `dropped` when the file finds
# it cannot be collected any more (paid meanwhile, mandate revoked). The amount, sequence and
# collection date are final once it is in a file.
sepa_collections = Table(
    "sepa_collections",
    metadata,
    Column("invoice_id", String(64), primary_key=True),
    Column("number", String(32), nullable=False),
    Column("account_id", String(64), nullable=False),
    Column("seller_id", String(8), nullable=False),
    Column("amount_minor", BigInteger, nullable=False),
    Column("currency", String(3), nullable=False),
    Column("due_on", Date, nullable=False),
    Column("mandate_reference", String(35), nullable=False),
    Column("sequence", String(4), nullable=False),
    Column("state", String(16), nullable=False),
    Column("file_id", String(30), nullable=True, index=True),
    Column("collect_on", Date, nullable=True),  # the requested collection date, once in a file
    Column("note", String(500), nullable=True),  # why it was dropped
    Column("recorded_at", UTCDateTime, nullable=False),
    Column("changed_at", UTCDateTime, nullable=False),
    Index("ix_sepa_collections_seller_state", "seller_id", "state"),
)

# Each pain.008 file written, kept as handed over: its id is its message id, new to the bank
# (`<seller>-SDD-<year>-<n>`, from a gapless series of invoice_counters).
sepa_collection_files = Table(
    "sepa_collection_files",
    metadata,
    Column("file_id", String(30), primary_key=True),
    Column("seller_id", String(8), nullable=False),
    Column("created_at", UTCDateTime, nullable=False),
    Column("collections", Integer, nullable=False),
    Column("total_minor", BigInteger, nullable=False),
    Column("currency", String(3), nullable=False),
    Column("sha256", String(64), nullable=False),
    Column("content", LargeBinary, nullable=False),
)
