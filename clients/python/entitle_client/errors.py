"""What the library raises. Every error is an `EntitleError`; catch the narrower ones to act.

Two families matter to a product:
- `InvalidEntitlement` (and its kinds): a signed entitlement or licence file was refused by
  offline verification. The product must not grant what it says.
- `Unreachable`: Entitle could not be asked (no network, a timeout, a server error). The
  product may keep using the last good entitlement until its not-after (`Access.offline`).
"""

from __future__ import annotations


class EntitleError(Exception):
    """Anything the library refuses or could not do."""


class InvalidEntitlement(EntitleError):
    """An entitlement or licence file that must not be trusted; `reason` is a stable code."""

    reason = "invalid"


class Malformed(InvalidEntitlement):
    """Not a compact JWS of the expected shape (or not a licence file)."""

    reason = "malformed"


class BadSignature(InvalidEntitlement):
    """The signature does not match: forged, altered, or signed by another key."""

    reason = "bad_signature"


class UnknownKey(InvalidEntitlement):
    """Signed with a key id (`kid`) that is not among the known public keys, even after
    fetching them again (when Entitle could be reached)."""

    reason = "unknown_key"


class Expired(InvalidEntitlement):
    """Past its not-after (`exp`), beyond the leeway."""

    reason = "expired"


class NotYetValid(InvalidEntitlement):
    """Before its `nbf`, beyond the leeway."""

    reason = "not_yet_valid"


class WrongProduct(InvalidEntitlement):
    """Valid, but for another product."""

    reason = "wrong_product"


class WrongFingerprint(InvalidEntitlement):
    """A node-locked entitlement or licence file bound to another machine."""

    reason = "wrong_fingerprint"


class ClockRollback(InvalidEntitlement):
    """The local clock is earlier than a time Entitle already vouched for (a server's `Date`
    or an entitlement's `iat`) by more than the tolerance: someone may have turned the clock
    back to keep an expired entitlement alive. Set the clock right, or go online."""

    reason = "clock_rollback"


class Unreachable(EntitleError):
    """Entitle did not answer: no network, a timeout, or a server error (5xx)."""


class ApiError(EntitleError):
    """Entitle answered with a refusal: `status` and the service's `{code, message, rule}`."""

    def __init__(self, status: int, code: str, message: str, rule: str | None = None) -> None:
        super().__init__(f"{status} {code}: {message}")
        self.status = status
        self.code = code
        self.message = message
        self.rule = rule


class NotSignedIn(ApiError):
    """No usable sign-in: never signed in, signed out, or the sign-in was ended (a refresh
    token used twice, a revoked device, an expired refresh token). Sign in again."""


class RateLimited(ApiError):
    """Too many requests: try again after `retry_after` seconds."""

    def __init__(self, status: int, code: str, message: str, rule: str | None, retry_after: float) -> None:
        super().__init__(status, code, message, rule)
        self.retry_after = retry_after
