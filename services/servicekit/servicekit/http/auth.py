"""Access tokens: identity signs them, every service verifies them (HS256, shared secret).

Each token names its session (`sid`) and lives at most `TOKEN_TTL_SECONDS`. Signing out ends
the session at identity, which refuses its tokens from then on and publishes
`identity.signed_out`; every other service records the ended session (`servicekit.http.sessions`)
and refuses its tokens too, within a second or two of the event.

A token is refused unless it carries `sid`, `iat` and `exp` and lives no longer than this
service's `TOKEN_TTL_SECONDS`: a token forged with a leaked or default secret cannot be made
to last ten years, and every token can be ended by signing out.

Rotation: the current secret signs and verifies; previous secrets (`TOKEN_PREVIOUS_SECRETS`)
only verify, so tokens signed just before a rotation keep working until they expire.

Two kinds of token: a person's (the default), and a product's (`"kind": "product"`), which
identity issues to a product client for the OAuth 2.0 client-credentials grant (issue 14). A
product token names its client (`sub`), the one product it may ask about (`product`) and a
session (`sid`) that revoking the client ends; it names no person and no account. Only routes
that ask for `ProductOrPersonCaller` accept it: everywhere else it is refused (403), so a
product's credential can never act as a person.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import datetime, timedelta

import jwt

from contracts.errors import Refusal, RuleViolation

ISSUER = "entitle-identity"
PRODUCT_KIND = "product"  # the `kind` claim of a product client's token
DEFAULT_MAX_LIFETIME = timedelta(hours=1)  # TOKEN_TTL_SECONDS' default
# Clocks of separate hosts differ a little; a token issued "in the future" by more than this
# was not issued by a correctly running identity.
CLOCK_SKEW = timedelta(minutes=1)
MAX_SESSION_ID_LENGTH = 64  # `ended_sessions.session_id`


@dataclass(frozen=True)
class Caller:
    """The person making a request and the customer account they act for (R2)."""

    person_id: str
    account_id: str
    email: str
    name: str = ""
    locale: str = "en"
    session_id: str | None = None  # the `sid` claim: the sign-in this token belongs to
    product: str | None = None  # a product client's token: the product it may ask about

    @property
    def is_product(self) -> bool:
        """A product client (`person_id` is its client id; `account_id` is empty)."""
        return self.product is not None


@dataclass(frozen=True)
class TokenKeys:
    """What a service verifies tokens with: the current secret, the previous ones still
    accepted during a rotation, and the longest lifetime a token may have."""

    current: str
    previous: tuple[str, ...] = ()
    max_lifetime: timedelta = DEFAULT_MAX_LIFETIME

    @property
    def all(self) -> tuple[str, ...]:
        return (self.current, *(p for p in self.previous if p and p != self.current))


def issue_token(secret: str, caller: Caller, now: datetime, ttl: timedelta) -> str:
    """A token for `caller`, valid for `ttl` from `now`. Every token names a session: a caller
    without one (a test's) gets a fresh id, so that the token is accepted and can be ended."""
    claims = {
        "iss": ISSUER,
        "sub": caller.person_id,
        "acct": caller.account_id,
        "email": caller.email,
        "name": caller.name,
        "locale": caller.locale,
        "sid": caller.session_id or uuid.uuid4().hex,
        "iat": int(now.timestamp()),
        "exp": int((now + ttl).timestamp()),
    }
    return jwt.encode(claims, secret, algorithm="HS256")


def issue_product_token(
    secret: str, client_id: str, product: str, now: datetime, ttl: timedelta, session_id: str | None = None
) -> str:
    """A product client's token (client-credentials grant): it may ask the access API about
    `product` only. Its session is the client's, so that revoking the client ends it."""
    claims = {
        "iss": ISSUER,
        "kind": PRODUCT_KIND,
        "sub": client_id,
        "product": product,
        "sid": session_id or product_session_id(client_id),
        "iat": int(now.timestamp()),
        "exp": int((now + ttl).timestamp()),
    }
    return jwt.encode(claims, secret, algorithm="HS256")


def product_session_id(client_id: str) -> str:
    """The session every token of a product client belongs to: ending it (revoking the client)
    refuses them all, in every service."""
    return f"pc-{client_id}"[:MAX_SESSION_ID_LENGTH]


def verify_token(keys: TokenKeys | str, token: str, now: datetime) -> Caller:
    """The caller a token names, or `unauthenticated`. Time claims are checked against the
    injected clock (not PyJWT's wall clock), so a test clock expires tokens as real time would.
    A plain string is the only secret, with the default lifetime (tests and tools)."""
    keys = keys if isinstance(keys, TokenKeys) else TokenKeys(keys)
    claims = _decode(keys, token)
    issued, expires = claims["iat"], claims["exp"]
    if not all(isinstance(t, (int, float)) and not isinstance(t, bool) for t in (issued, expires)):
        raise unauthenticated("The access token is not valid (its times are not numbers).")
    if expires <= now.timestamp():
        raise unauthenticated("The access token has expired; sign in again.")
    if issued > (now + CLOCK_SKEW).timestamp():
        raise unauthenticated("The access token is not valid (issued in the future).")
    if expires - issued > keys.max_lifetime.total_seconds():
        raise unauthenticated(
            f"The access token is not valid (it lives longer than the "
            f"{int(keys.max_lifetime.total_seconds())} s this service accepts)."
        )
    session_id, person, account = claims["sid"], claims["sub"], claims.get("acct")
    if not (isinstance(session_id, str) and 0 < len(session_id) <= MAX_SESSION_ID_LENGTH):
        raise unauthenticated("The access token is not valid (it names no session).")
    if claims.get("kind") == PRODUCT_KIND:
        product = claims.get("product")
        if not (isinstance(person, str) and person and isinstance(product, str) and product):
            raise unauthenticated("The access token is not valid (it names no product client or product).")
        return Caller(person_id=person, account_id="", email="", session_id=session_id, product=product)
    if not (isinstance(person, str) and person and isinstance(account, str) and account):
        raise unauthenticated("The access token is not valid (it names no person or account).")
    return Caller(
        person_id=person,
        account_id=account,
        email=str(claims.get("email", "")),
        name=str(claims.get("name", "")),
        locale=str(claims.get("locale", "en")),
        session_id=session_id,
    )


def _decode(keys: TokenKeys, token: str) -> dict:
    """The claims, if one of the keys signed the token. Only a wrong signature moves on to the
    next key: any other fault is the token's whatever the key."""
    failure: jwt.InvalidTokenError | None = None
    for secret in keys.all:
        try:
            return jwt.decode(
                token,
                secret,
                algorithms=["HS256"],
                issuer=ISSUER,
                options={
                    "verify_exp": False,
                    "verify_iat": False,
                    "verify_nbf": False,
                    "require": ["exp", "iat", "sub", "sid"],
                },
            )
        except jwt.InvalidSignatureError as error:
            failure = error
        except jwt.InvalidTokenError as error:
            raise unauthenticated(f"The access token is not valid ({error}).") from error
    raise unauthenticated(f"The access token is not valid ({failure}).") from failure


def unauthenticated(message: str) -> RuleViolation:
    return RuleViolation("unauthenticated", message, refusal=Refusal.UNAUTHENTICATED)
