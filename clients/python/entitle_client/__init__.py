"""Entitle's client library for product teams.

- `EntitleClient`: a desktop product on the user's machine (sign-in kept for 30 days, access
  checks with offline grace, floating seats with background heartbeats, node-locked licence
  files).
- `ProductBackend`: a product's server with its client credentials.
- `Verifier` / `KeyStore`: offline verification of entitlements and licence files.
- `fingerprint()`: this machine's fingerprint (the documented recipe).
"""

from entitle_client.client import EntitleClient
from entitle_client.clock import Clock, ClockGuard, SystemClock
from entitle_client.errors import (
    ApiError,
    BadSignature,
    ClockRollback,
    EntitleError,
    Expired,
    InvalidEntitlement,
    Malformed,
    NotSignedIn,
    NotYetValid,
    RateLimited,
    UnknownKey,
    Unreachable,
    WrongFingerprint,
    WrongProduct,
)
from entitle_client.fingerprint import fingerprint
from entitle_client.leases import Heartbeat, Lease
from entitle_client.models import Access, LicenceFile
from entitle_client.product import ProductBackend
from entitle_client.verify import Entitlement, KeyStore, Verifier, unwrap_licence_file, wrap_licence_file

__all__ = [
    "Access",
    "ApiError",
    "BadSignature",
    "Clock",
    "ClockGuard",
    "ClockRollback",
    "EntitleClient",
    "EntitleError",
    "Entitlement",
    "Expired",
    "Heartbeat",
    "InvalidEntitlement",
    "KeyStore",
    "Lease",
    "LicenceFile",
    "Malformed",
    "NotSignedIn",
    "NotYetValid",
    "ProductBackend",
    "RateLimited",
    "SystemClock",
    "UnknownKey",
    "Unreachable",
    "Verifier",
    "WrongFingerprint",
    "WrongProduct",
    "fingerprint",
    "unwrap_licence_file",
    "wrap_licence_file",
]
__version__ = "0.1.0"
