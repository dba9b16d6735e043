"""Access tokens: identity signs them, every service verifies them (HS256, shared secret).

Each token names its session (`sid`). Signing out ends the session at identity, which refuses
its tokens from then on; the other services verify tokens locally and keep accepting a
signed-out token until it expires, which is why tokens live one hour only.
"""
from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

import jwt

from contracts.errors import Refusal, RuleViolation

ISSUER = "entitle-identity"


@dataclass(frozen=True)
class Caller:
    """The person making a request and the customer account they act for (R2)."""

    person_id: str
    account_id: str
    email: str
    name: str = ""
    locale: str = "en"
    session_id: str | None = None  # the `sid` claim: the sign-in this token belongs to


def issue_token(secret: str, caller: Caller, now: datetime, ttl: timedelta) -> str:
    claims = {"iss": ISSUER, "sub": caller.person_id, "acct": caller.account_id,
              "email": caller.email, "name": caller.name, "locale": caller.locale,
              "iat": int(now.timestamp()), "exp": int((now + ttl).timestamp())}
    if caller.session_id:
        claims["sid"] = caller.session_id
    return jwt.encode(claims, secret, algorithm="HS256")


def verify_token(secret: str, token: str, now: datetime) -> Caller:
    """Time claims are checked against the injected clock (not PyJWT's wall clock), so a
    test clock expires tokens as real time would."""
    try:
        claims = jwt.decode(token, secret, algorithms=["HS256"], issuer=ISSUER,
                            options={"verify_exp": False, "verify_iat": False, "verify_nbf": False,
                                     "require": ["exp", "sub", "acct"]})
    except jwt.InvalidTokenError as error:
        raise unauthenticated(f"The access token is not valid ({error}).") from error
    if claims["exp"] <= now.timestamp():
        raise unauthenticated("The access token has expired; sign in again.")
    return Caller(person_id=claims["sub"], account_id=claims["acct"], email=claims.get("email", ""),
                  name=claims.get("name", ""), locale=claims.get("locale", "en"),
                  session_id=claims.get("sid"))  # tokens issued before sessions have none


def unauthenticated(message: str) -> RuleViolation:
    return RuleViolation("unauthenticated", message, refusal=Refusal.UNAUTHENTICATED)
