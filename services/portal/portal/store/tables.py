"""The portal's only table: its sessions. Everything else the pages show belongs to the
service that owns it and is read from that service's API."""

from __future__ import annotations

from sqlalchemy import Column, MetaData, String, Table, Text

from servicekit.store.types import UTCDateTime

metadata = MetaData()

portal_sessions = Table(
    "portal_sessions",
    metadata,
    # The session cookie's value: 32 random bytes, URL-safe base64 (secrets.token_urlsafe(32)).
    Column("id", String(64), primary_key=True),
    # Identity's access token while signed in; NULL for a visitor who has not signed in yet
    # (their session carries the CSRF token and the language of the sign-in and sign-up forms).
    Column("access_token", Text, nullable=True),
    Column("person_id", String(64), nullable=True, index=True),
    Column("account_id", String(64), nullable=True),
    Column("csrf_token", String(64), nullable=False),
    Column("locale", String(8), nullable=False),
    Column("created_at", UTCDateTime, nullable=False),
    Column("expires_at", UTCDateTime, nullable=False, index=True),
)
