"""Offline verification of signed entitlements and licence files.

An entitlement is a compact JWS (RFC 7515) signed with Ed25519 (`alg` EdDSA, RFC 8037):
header `{"alg": "EdDSA", "typ": "entitle-entitlement+jwt", "kid": ...}`, claims `iss`
("entitle-seats"), `sub`, `email`, `acct`, `product`, `tier`, `licence_type`,
`subscription_id`, `modules`, `add_ons`, `limits`, `lease_id` (floating), `device` and
`key_id` (node-locked), `iat`, `nbf`, `exp` (the not-after), `jti`. A licence file is the
same JWS, folded at 64 characters between `-----BEGIN ENTITLE LICENCE FILE-----` and
`-----END ENTITLE LICENCE FILE-----`, and bound to a machine by its `device` claim.

The public keys come from seats' `GET /.well-known/jwks.json` and are kept in the cache
directory, so verification needs no network; a key id not seen before makes the `KeyStore`
fetch the keys again (at most once every few minutes, so forged tokens cannot flood Entitle).

Speed: the signature is checked with `cryptography` directly, public key objects are kept
by key id and parsed headers by their text, so a new entitlement costs one Ed25519 check and
one small JSON parse. The entitlement of a token whose signature was already checked is kept
(by its exact text, while its key is still published), so verifying the saved entitlement
again, as a product does at every feature use, costs only the checks of time, product,
device and clock, which are made every time (`bench_verify.py` measures both).
"""

from __future__ import annotations

import binascii
import hmac
import json
import threading
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from types import MappingProxyType
from typing import Any

import httpx
from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PublicKey

from entitle_client.cache import Cache
from entitle_client.clock import Clock, ClockGuard, SystemClock
from entitle_client.errors import (
    BadSignature,
    Expired,
    Malformed,
    NotYetValid,
    UnknownKey,
    WrongFingerprint,
    WrongProduct,
)

ENTITLEMENT_TYPE = "entitle-entitlement+jwt"
ISSUER = "entitle-seats"
JWKS_PATH = "/.well-known/jwks.json"
BEGIN = "-----BEGIN ENTITLE LICENCE FILE-----"
END = "-----END ENTITLE LICENCE FILE-----"
MAX_TOKEN = 16_384  # characters: an entitlement is well under 2 KiB
DEFAULT_LEEWAY = timedelta(seconds=60)
_HEADER_CACHE = 64
_VERIFIED_CACHE = 1024
_FILE = "jwks.json"
_B64_TRANSLATE = str.maketrans("-_", "+/")


def b64url_decode(text: str) -> bytes:
    """Strict base64url without padding: any other character is refused, not skipped."""
    try:
        return binascii.a2b_base64((text + "=" * (-len(text) % 4)).translate(_B64_TRANSLATE), strict_mode=True)
    except (binascii.Error, ValueError) as error:
        raise Malformed("not base64url") from error


@dataclass(frozen=True)
class Entitlement:
    """A verified entitlement: what the product may grant, until `not_after`."""

    product: str
    tier: str | None
    licence_type: str | None
    subject: str
    email: str | None
    account_id: str | None
    subscription_id: str | None
    modules: tuple[str, ...]
    add_ons: tuple[str, ...]
    limits: Mapping[str, Any]
    issued_at: datetime
    not_after: datetime
    token: str = field(repr=False)
    not_before: datetime | None = None
    key_id: str = ""
    jti: str | None = None
    lease_id: str | None = None
    device: str | None = None
    activation_key_id: str | None = None
    claims: Mapping[str, Any] = field(default_factory=dict, repr=False)

    def has_module(self, module: str) -> bool:
        return module in self.modules

    def has_add_on(self, add_on: str) -> bool:
        return add_on in self.add_ons

    @classmethod
    def of(cls, claims: Mapping[str, Any], token: str, kid: str) -> Entitlement:
        modules, add_ons, limits = claims.get("modules") or [], claims.get("add_ons") or [], claims.get("limits") or {}
        if not (isinstance(modules, list) and isinstance(add_ons, list) and isinstance(limits, dict)):
            raise Malformed("modules, add_ons and limits must be lists and an object")
        return cls(
            product=str(claims["product"]),
            tier=_optional_str(claims.get("tier")),
            licence_type=_optional_str(claims.get("licence_type")),
            subject=str(claims.get("sub") or ""),
            email=_optional_str(claims.get("email")),
            account_id=_optional_str(claims.get("acct")),
            subscription_id=_optional_str(claims.get("subscription_id")),
            modules=tuple(str(m) for m in modules),
            add_ons=tuple(str(a) for a in add_ons),
            limits=MappingProxyType(limits),
            issued_at=datetime.fromtimestamp(claims["iat"], UTC),
            not_after=datetime.fromtimestamp(claims["exp"], UTC),
            not_before=datetime.fromtimestamp(claims.get("nbf", claims["iat"]), UTC),
            token=token,
            key_id=kid,
            jti=_optional_str(claims.get("jti")),
            lease_id=_optional_str(claims.get("lease_id")),
            device=_optional_str(claims.get("device")),
            activation_key_id=_optional_str(claims.get("key_id")),
            claims=MappingProxyType(claims),
        )


def _is_number(value: Any) -> bool:
    return isinstance(value, int | float) and not isinstance(value, bool)


def _optional_str(value: Any) -> str | None:
    return None if value is None else str(value)


def public_keys(jwks: Mapping[str, Any]) -> dict[str, Ed25519PublicKey]:
    """The Ed25519 signing keys of a JWKS document, by key id; other keys are skipped."""
    keys: dict[str, Ed25519PublicKey] = {}
    for jwk in jwks.get("keys") or []:
        if not isinstance(jwk, dict):
            continue
        if jwk.get("kty") != "OKP" or jwk.get("crv") != "Ed25519" or jwk.get("use", "sig") != "sig":
            continue
        kid, x = jwk.get("kid"), jwk.get("x")
        if not isinstance(kid, str) or not isinstance(x, str):
            continue
        try:
            keys[kid] = Ed25519PublicKey.from_public_bytes(b64url_decode(x))
        except (Malformed, ValueError):
            continue
    return keys


class KeyStore:
    """Entitle's public keys by key id: from a JWKS document given, the cache, or seats.

    With `seats_url`, an unknown key id triggers a fetch of the JWKS (when seats answers; at
    most once every `refetch_interval`), and what was fetched is kept in the cache directory.
    """

    def __init__(
        self,
        jwks: Mapping[str, Any] | None = None,
        *,
        seats_url: str | None = None,
        http: httpx.Client | None = None,
        cache: Cache | None = None,
        clock: Clock | None = None,
        refetch_interval: timedelta = timedelta(minutes=5),
        guard: ClockGuard | None = None,
    ) -> None:
        self._seats_url = seats_url.rstrip("/") if seats_url else None
        self._http = http
        self._cache = cache
        self._clock = clock or SystemClock()
        self._guard = guard
        self._refetch_interval = refetch_interval
        self._fetched_at: datetime | None = None
        self._lock = threading.Lock()
        self._keys: dict[str, Ed25519PublicKey] = {}
        if cache is not None and (text := cache.read(_FILE)):
            try:
                self._keys = public_keys(json.loads(text))
            except ValueError:
                self._keys = {}
        if jwks is not None:
            self._keys = {**self._keys, **public_keys(jwks)}

    @property
    def kids(self) -> list[str]:
        return list(self._keys)

    def has(self, kid: str) -> bool:
        """Is this key id among the keys known now (no fetching)?"""
        return kid in self._keys

    def get(self, kid: str) -> Ed25519PublicKey | None:
        key = self._keys.get(kid)
        if key is None and self._seats_url is not None and self._may_fetch():
            try:
                self.refresh()
            except (httpx.HTTPError, ValueError):
                return None  # offline (or seats answered nonsense): the keys we have are all there is
            key = self._keys.get(kid)
        return key

    def _may_fetch(self) -> bool:
        last = self._fetched_at
        return last is None or self._clock.now() - last >= self._refetch_interval

    def refresh(self) -> None:
        """Fetch the JWKS from seats now and keep it (raises httpx errors when offline)."""
        if self._seats_url is None:
            return
        with self._lock:
            self._fetched_at = self._clock.now()
            http = self._http or httpx.Client(timeout=10)
            try:
                response = http.get(self._seats_url + JWKS_PATH)
            finally:
                if self._http is None:
                    http.close()
            if self._guard is not None:
                self._guard.observe_date_header(response.headers.get("Date"))
            response.raise_for_status()
            document = response.json()
            keys = public_keys(document)
            if not keys:
                raise ValueError("the JWKS has no Ed25519 signing key")
            # Keys that left the set are forgotten: a key withdrawn (compromised) stops verifying.
            self._keys = keys
            if self._cache is not None:
                self._cache.write(_FILE, json.dumps(document))


class Verifier:
    """Verifies entitlements and licence files offline.

    `Verifier(jwks)` takes a JWKS document (a dict) or a `KeyStore`. Each verification
    checks the signature, `typ`, `iss`, `nbf` and `exp` (with `leeway`), the product when
    given, the device fingerprint for licence files, and, with a `ClockGuard`, that the local
    clock was not turned back; then it records the entitlement's `iat` as a time Entitle
    vouched for.
    """

    def __init__(
        self,
        jwks: KeyStore | Mapping[str, Any],
        *,
        clock: Clock | None = None,
        leeway: timedelta = DEFAULT_LEEWAY,
        guard: ClockGuard | None = None,
    ) -> None:
        self.keys = jwks if isinstance(jwks, KeyStore) else KeyStore(jwks)
        self._clock = clock or SystemClock()
        self._leeway = leeway
        self.guard = guard
        self._headers: dict[str, str] = {}  # header segment -> kid, for headers already checked
        self._verified: dict[str, Entitlement] = {}  # token -> its entitlement, signature checked

    def verify(
        self,
        token: str,
        *,
        product: str | None = None,
        fingerprint: str | None = None,
        now: datetime | None = None,
        check_clock: bool = True,
    ) -> Entitlement:
        """The entitlement a compact JWS grants; raises an `InvalidEntitlement` otherwise.

        `now` defaults to the local clock; `check_clock=False` skips the rollback guard, for an
        entitlement Entitle has just sent (checked at the server's time instead)."""
        if not isinstance(token, str) or len(token) > MAX_TOKEN:
            raise Malformed("not an entitlement: too long or not text")
        token = token.strip()
        # The signature of these exact characters was checked before (and its key is still
        # published): the times, product, device and clock are checked again below, every time.
        entitlement = self._verified.get(token)
        if entitlement is None or not self.keys.has(entitlement.key_id):
            entitlement = self._verify_signature(token)
            if len(self._verified) >= _VERIFIED_CACHE:
                self._verified.clear()
            self._verified[token] = entitlement
        return self._check(entitlement, product, fingerprint, now, check_clock)

    def _verify_signature(self, token: str) -> Entitlement:
        parts = token.split(".")
        if len(parts) != 3:
            raise Malformed("not a compact JWS (three dot-separated parts)")
        header_text, payload_text, signature_text = parts
        kid = self._headers.get(header_text)
        if kid is None:
            kid = self._check_header(header_text)
        key = self.keys.get(kid)
        if key is None:
            raise UnknownKey(f"signed with key {kid[:64]!r}, which is not among Entitle's published keys")
        try:
            key.verify(b64url_decode(signature_text), f"{header_text}.{payload_text}".encode("ascii"))
        except (InvalidSignature, UnicodeEncodeError) as error:
            raise BadSignature("the signature does not match: forged or altered") from error
        try:
            claims = json.loads(b64url_decode(payload_text))
        except ValueError as error:
            raise Malformed("the claims are not JSON") from error
        if not isinstance(claims, dict):
            raise Malformed("the claims are not a JSON object")
        if claims.get("iss") != ISSUER:
            raise Malformed("not issued by Entitle's seats service")
        if not all(_is_number(claims.get(name, claims.get("iat"))) for name in ("iat", "nbf", "exp")):
            raise Malformed("iat, nbf and exp must be numbers")
        if not isinstance(claims.get("product"), str):
            raise Malformed("the entitlement names no product")
        return Entitlement.of(claims, token, kid)

    def verify_licence_file(
        self,
        text: str,
        *,
        fingerprint: str,
        product: str | None = None,
        now: datetime | None = None,
        check_clock: bool = True,
    ) -> Entitlement:
        """The entitlement of a licence file, which must be bound to `fingerprint`."""
        token = unwrap_licence_file(text)
        return self.verify(token, product=product, fingerprint=fingerprint, now=now, check_clock=check_clock)

    def _check_header(self, header_text: str) -> str:
        try:
            header = json.loads(b64url_decode(header_text))
        except ValueError as error:
            raise Malformed("the header is not JSON") from error
        if not isinstance(header, dict):
            raise Malformed("the header is not a JSON object")
        if header.get("alg") != "EdDSA":
            raise Malformed(f"algorithm {str(header.get('alg'))[:20]!r} is not accepted (EdDSA only)")
        if header.get("typ") != ENTITLEMENT_TYPE:
            raise Malformed(f"type {str(header.get('typ'))[:40]!r} is not an Entitle entitlement")
        if "crit" in header:
            raise Malformed("critical header parameters are not understood")
        kid = header.get("kid")
        if not isinstance(kid, str) or not kid:
            raise Malformed("the header names no key id")
        if len(self._headers) >= _HEADER_CACHE:
            self._headers.clear()
        self._headers[header_text] = kid
        return kid

    def _check(
        self,
        entitlement: Entitlement,
        product: str | None,
        fingerprint: str | None,
        now: datetime | None,
        check_clock: bool,
    ) -> Entitlement:
        at = now or self._clock.now()
        if self.guard is not None and check_clock:
            self.guard.check(at)
        if at > entitlement.not_after + self._leeway:
            raise Expired(f"expired at {entitlement.not_after.isoformat(timespec='seconds')}")
        not_before = entitlement.not_before or entitlement.issued_at
        if at + self._leeway < not_before:
            raise NotYetValid(f"valid from {not_before.isoformat(timespec='seconds')}")
        if product is not None and entitlement.product != product:
            raise WrongProduct(f"for product {entitlement.product[:64]!r}, not {product!r}")
        if fingerprint is not None:
            device = entitlement.device
            if device is None or not hmac.compare_digest(device.encode(), fingerprint.encode()):
                raise WrongFingerprint("bound to another machine: activate the key on this one")
        if self.guard is not None:
            self.guard.observe(entitlement.issued_at)
        return entitlement


def unwrap_licence_file(text: str) -> str:
    """The compact JWS inside a licence file's armour."""
    if not isinstance(text, str) or len(text) > 4 * MAX_TOKEN:
        raise Malformed("not a licence file: too long or not text")
    lines = [line.strip() for line in text.strip().splitlines()]
    try:
        start, end = lines.index(BEGIN), lines.index(END)
    except ValueError as error:
        raise Malformed("not an Entitle licence file (no BEGIN/END lines)") from error
    if end <= start + 1:
        raise Malformed("an empty licence file")
    return "".join(lines[start + 1 : end])


def wrap_licence_file(token: str) -> str:
    """A compact JWS in a licence file's armour (folded at 64 characters)."""
    body = "\n".join(token[i : i + 64] for i in range(0, len(token), 64))
    return f"{BEGIN}\n{body}\n{END}\n"
