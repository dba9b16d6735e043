"""Signed entitlements (issue 14): Ed25519 keys from `SEATS_ENTITLEMENT_KEYS`, compact JWS
(RFC 7515, `alg` EdDSA, RFC 8037) and the JWKS a product verifies them with.

The JWS is built here rather than with PyJWT: the header of each key never changes, so it is
encoded once, and one signature is one JSON dump and one Ed25519 signature (about 60 µs, the
online access check has about 1 ms in all). The loaded key objects are kept for the life of the
process.

Rotation: the FIRST key signs; every listed key is published in the JWKS, so what an older key
signed verifies until it expires, as long as that key stays listed.
"""

from __future__ import annotations

import base64
import hashlib
import json
from dataclasses import dataclass, field
from datetime import timedelta
from typing import Any

from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey, Ed25519PublicKey
from cryptography.hazmat.primitives.serialization import Encoding, PublicFormat

ALGORITHM = "EdDSA"
ENTITLEMENT_TYPE = "entitle-entitlement+jwt"
ISSUER = "entitle-seats"
DEV_KID = "dev"
# The development key: public, derived from a fixed seed, so a test stack needs no setting; a
# service off a test clock refuses to start with it (`key_problems`).
DEV_SEED = hashlib.sha256(b"entitle-dev-entitlement-key-never-in-production").digest()
MAX_KID_LENGTH = 64
DEFAULT_OFFLINE_ALLOWANCE = timedelta(days=7)


def b64url(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode("ascii")


def b64url_decode(text: str) -> bytes:
    return base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))


class KeySettingError(ValueError):
    """`SEATS_ENTITLEMENT_KEYS` cannot be read."""


@dataclass(frozen=True)
class SigningKey:
    kid: str
    private: Ed25519PrivateKey = field(repr=False)
    public: Ed25519PublicKey = field(repr=False)
    header: str  # the encoded JWS header of this key: the same for every entitlement it signs

    @classmethod
    def from_seed(cls, kid: str, seed: bytes) -> SigningKey:
        if len(seed) != 32:
            raise KeySettingError(f"key {kid!r}: an Ed25519 private seed is 32 bytes, this one {len(seed)}")
        if not kid or len(kid) > MAX_KID_LENGTH or not kid.isprintable() or any(c in kid for c in ',:" '):
            raise KeySettingError(f"key id {kid!r}: 1 to {MAX_KID_LENGTH} printable characters, no ',', ':' or space")
        private = Ed25519PrivateKey.from_private_bytes(seed)
        header = {"alg": ALGORITHM, "typ": ENTITLEMENT_TYPE, "kid": kid}
        return cls(kid, private, private.public_key(), b64url(json.dumps(header, separators=(",", ":")).encode()))

    @property
    def x(self) -> str:
        return b64url(self.public.public_bytes(Encoding.Raw, PublicFormat.Raw))

    @property
    def jwk(self) -> dict[str, str]:
        return {"kty": "OKP", "crv": "Ed25519", "x": self.x, "kid": self.kid, "use": "sig", "alg": ALGORITHM}


def parse_keys(setting: str) -> list[SigningKey]:
    """`kid:base64url(seed),kid:...` → the keys, the signing one first. Empty: the development key."""
    entries = [e.strip() for e in setting.split(",") if e.strip()]
    if not entries:
        return [SigningKey.from_seed(DEV_KID, DEV_SEED)]
    keys = []
    for entry in entries:
        kid, sep, seed = entry.partition(":")
        if not sep:
            raise KeySettingError(f"{entry[:8]}...: write each key as kid:base64url(32-byte seed)")
        try:
            raw = b64url_decode(seed.strip())
        except ValueError as e:
            raise KeySettingError(f"key {kid!r}: the seed is not base64url") from e
        keys.append(SigningKey.from_seed(kid.strip(), raw))
    if len({k.kid for k in keys}) != len(keys):
        raise KeySettingError("two keys share a key id")
    return keys


def key_problems(setting: str) -> list[str]:
    """Why these keys cannot sign entitlements for real products (empty if they can)."""
    if not setting.strip():
        return [
            "SEATS_ENTITLEMENT_KEYS is empty: entitlements would be signed with the public development "
            "key. Set `kid:base64url(32 random bytes)`, e.g. `k1:` followed by the output of "
            '`python -c "import secrets; print(secrets.token_urlsafe(32))"`.'
        ]
    try:
        keys = parse_keys(setting)
    except KeySettingError as e:
        return [f"SEATS_ENTITLEMENT_KEYS: {e}."]
    dev = SigningKey.from_seed(DEV_KID, DEV_SEED).x
    if any(k.x == dev for k in keys):
        return ["SEATS_ENTITLEMENT_KEYS holds the public development key: remove it."]
    return []


class InvalidEntitlement(ValueError):
    """A compact JWS this service did not sign with a listed key, or no longer valid."""


class EntitlementSigner:
    """Signs entitlements with the first key; publishes all of them (JWKS)."""

    def __init__(self, keys: list[SigningKey], offline_allowance: timedelta = DEFAULT_OFFLINE_ALLOWANCE) -> None:
        if not keys:
            raise KeySettingError("no signing key")
        self.keys = keys
        self.offline_allowance = offline_allowance
        self._by_kid = {k.kid: k for k in keys}
        self._jwks = {"keys": [k.jwk for k in keys]}

    @classmethod
    def from_setting(cls, setting: str, offline_allowance: timedelta = DEFAULT_OFFLINE_ALLOWANCE) -> EntitlementSigner:
        return cls(parse_keys(setting), offline_allowance)

    @property
    def kid(self) -> str:
        return self.keys[0].kid

    def sign(self, claims: dict[str, Any]) -> str:
        key = self.keys[0]
        payload = b64url(json.dumps(claims, separators=(",", ":"), ensure_ascii=False).encode())
        signing_input = f"{key.header}.{payload}"
        return f"{signing_input}.{b64url(key.private.sign(signing_input.encode('ascii')))}"

    def jwks(self) -> dict[str, list[dict[str, str]]]:
        return self._jwks

    def verify(self, token: str, now: float) -> dict[str, Any]:
        """The claims of an entitlement signed by a listed key, in force at `now` (epoch seconds).
        What a product does offline with the JWKS; here for tests and tools."""
        return verify(token, {k.kid: k.public for k in self.keys}, now)


def verify(token: str, public_keys: dict[str, Ed25519PublicKey], now: float) -> dict[str, Any]:
    try:
        header_b64, payload_b64, signature_b64 = token.split(".")
        header = json.loads(b64url_decode(header_b64))
        signature = b64url_decode(signature_b64)
    except ValueError as e:
        raise InvalidEntitlement("not a compact JWS") from e
    if not isinstance(header, dict) or header.get("alg") != ALGORITHM or header.get("typ") != ENTITLEMENT_TYPE:
        raise InvalidEntitlement("not an Entitle entitlement (alg, typ)")
    public = public_keys.get(header.get("kid"))  # type: ignore[arg-type]
    if public is None:
        raise InvalidEntitlement(f"unknown key id {header.get('kid')!r}")
    try:
        public.verify(signature, f"{header_b64}.{payload_b64}".encode("ascii"))
    except InvalidSignature as e:
        raise InvalidEntitlement("the signature does not verify") from e
    claims = json.loads(b64url_decode(payload_b64))
    if not (claims.get("nbf", 0) <= now < claims["exp"]):
        raise InvalidEntitlement("not in force now (nbf, exp)")
    return dict(claims)


def public_keys_of(jwks: dict[str, Any]) -> dict[str, Ed25519PublicKey]:
    """The keys a JWKS document lists, by key id (as a product loads them)."""
    return {
        k["kid"]: Ed25519PublicKey.from_public_bytes(b64url_decode(k["x"]))
        for k in jwks["keys"]
        if k.get("kty") == "OKP" and k.get("crv") == "Ed25519"
    }
