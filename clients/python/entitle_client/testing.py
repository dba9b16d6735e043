"""Signing entitlements in tests: a stand-in for Entitle's key, for product teams' tests too.

    issuer = TestIssuer()
    verifier = Verifier(issuer.jwks)
    token = issuer.issue(product="designer", tier="pro", lifetime=timedelta(hours=1))
    assert verifier.verify(token, product="designer").tier == "pro"

Never ship it in a product: whoever holds the private key can grant anything.
"""

from __future__ import annotations

import base64
import json
import uuid
from datetime import UTC, datetime, timedelta
from typing import Any

from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
from cryptography.hazmat.primitives.serialization import Encoding, PublicFormat

from entitle_client.verify import ENTITLEMENT_TYPE, ISSUER, wrap_licence_file


def b64url(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode("ascii")


class TestIssuer:
    """An Ed25519 key that signs entitlements the way Entitle's seats service does."""

    __test__ = False  # not a pytest test class

    def __init__(self, kid: str = "test", key: Ed25519PrivateKey | None = None) -> None:
        self.kid = kid
        self.key = key or Ed25519PrivateKey.generate()

    @property
    def jwk(self) -> dict[str, str]:
        x = self.key.public_key().public_bytes(Encoding.Raw, PublicFormat.Raw)
        return {"kty": "OKP", "crv": "Ed25519", "x": b64url(x), "kid": self.kid, "use": "sig", "alg": "EdDSA"}

    @property
    def jwks(self) -> dict[str, list[dict[str, str]]]:
        return {"keys": [self.jwk]}

    def sign(self, claims: dict[str, Any], header: dict[str, Any] | None = None) -> str:
        head = header or {"alg": "EdDSA", "typ": ENTITLEMENT_TYPE, "kid": self.kid}
        signing_input = (
            b64url(json.dumps(head, separators=(",", ":")).encode())
            + "."
            + b64url(json.dumps(claims, separators=(",", ":")).encode())
        )
        return signing_input + "." + b64url(self.key.sign(signing_input.encode("ascii")))

    def claims(
        self,
        *,
        product: str = "designer",
        now: datetime | None = None,
        lifetime: timedelta = timedelta(days=7),
        **extra: Any,
    ) -> dict[str, Any]:
        issued = int((now or datetime.now(UTC)).timestamp())
        claims: dict[str, Any] = {
            "iss": ISSUER,
            "sub": "person-1",
            "email": "alice@example.com",
            "acct": "account-1",
            "product": product,
            "tier": "pro",
            "licence_type": "named_user",
            "subscription_id": "sub-1",
            "modules": ["core"],
            "add_ons": [],
            "limits": {},
            "iat": issued,
            "nbf": issued,
            "exp": issued + int(lifetime.total_seconds()),
            "jti": uuid.uuid4().hex,
        }
        claims.update(extra)
        return claims

    def issue(self, **kwargs: Any) -> str:
        """A signed entitlement; keyword arguments as `claims()` (any claim can be overridden)."""
        return self.sign(self.claims(**kwargs))

    def licence_file(self, device: str, **kwargs: Any) -> str:
        kwargs.setdefault("licence_type", "node_locked")
        kwargs.setdefault("key_id", "key-1")
        return wrap_licence_file(self.issue(device=device, **kwargs))
