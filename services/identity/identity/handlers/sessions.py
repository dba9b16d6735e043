"""Sessions: sign in (R1, slowed down after failures), switch account (R2), sign out; sign-ins
kept for 30 days by rotating refresh tokens, listed and ended by their person (R42).

A token's `sid` names its session and it lives `TOKEN_TTL_SECONDS`. Signing out records the
session as ended: identity refuses its tokens at once and publishes `identity.signed_out`,
from which the other services learn it. A refresh keeps the session (`sid`), so what is bound
to it (a floating lease) survives a refresh and is released when the sign-in ends.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import NoReturn

from contracts.errors import Refusal, RuleViolation, not_found
from contracts.identity import SignedOut
from identity.adapters import passwords
from identity.domain import sign_ins
from identity.domain.accounts import ensure_member
from identity.domain.links import hash_token
from identity.domain.people import Person, normalise_email
from identity.domain.sign_ins import RefreshTokenReused, SignInRecord
from identity.domain.throttle import SignInThrottle
from identity.handlers.limits import SignInLimits
from identity.store.uow import IdentityUnitOfWork
from servicekit.http.auth import Caller, issue_token, unauthenticated
from servicekit.http.pagination import PageRequest


@dataclass(frozen=True)
class Issuer:
    """How identity signs its tokens: the shared secret, and how long a token lives."""

    secret: str
    ttl: timedelta


@dataclass(frozen=True)
class SignIn:
    email: str
    password: str
    account_id: str | None
    client: str  # the caller's address (`request.client.host`)
    keep_signed_in: bool = False  # R42: a refresh token too, for 30 days
    device_name: str | None = None


@dataclass(frozen=True)
class SignedIn:
    """An access token, and for a sign-in kept (R42) its refresh token, shown once."""

    access_token: str
    session_id: str
    refresh_token: str | None = None
    refresh_expires_at: datetime | None = None


async def sign_in(attempt: SignIn, limits: SignInLimits, issuer: Issuer, uow: IdentityUnitOfWork) -> SignedIn:
    """R1: verified people only. Refused without checking any password: a client, or the whole
    service, past its limit of failures; a client that has been failing for this e-mail while
    it is blocked (see `domain.throttle`). Otherwise exactly one password verification, known
    e-mail or not, so the time taken tells nothing."""
    email, conn, now = normalise_email(attempt.email), uow.conn, uow.now()
    throttle = await uow.throttles.get(email, lock=True)  # concurrent failures all count
    await limits.refuse_if_exhausted(conn, attempt.client, now)
    throttle.check(now, client_has_failed=await limits.client_has_failed(conn, email, attempt.client, now))
    person = await uow.people.by_email(email)
    matched = await passwords.matches(person.password_hash if person else None, attempt.password)
    if person is None or not matched:  # an unknown e-mail never matches (its one check was the dummy's)
        await _count_failure(throttle, attempt, limits, uow)
    person.ensure_may_sign_in()
    throttle.succeeded(now)
    await uow.throttles.save(throttle)
    session_id = str(uuid.uuid4())
    token, account_id = await _token_for(person, attempt.account_id, session_id, issuer, uow)
    # Recorded so that a new password can end every session of the person (a password reset);
    # a kept one (R42) lasts as long as its refresh token.
    refresh = await _new_refresh_token(session_id, uow) if attempt.keep_signed_in else None
    expires_at = refresh[1] if refresh else now + issuer.ttl
    await uow.sessions.started(session_id, person.id, account_id, now, expires_at, attempt.device_name)
    await uow.commit()
    return SignedIn(token, session_id, *(refresh or (None, None)))


async def _new_refresh_token(session_id: str, uow: IdentityUnitOfWork) -> tuple[str, datetime]:
    token = sign_ins.new_refresh_token()
    stored = sign_ins.issue(token, session_id, uow.now())
    await uow.refresh_tokens.save(stored)
    return token, stored.expires_at


async def refresh(refresh_token: str, issuer: Issuer, uow: IdentityUnitOfWork) -> SignedIn:
    """R42: a new access token and a new refresh token in the same session (`sid`), for 30 days
    from now; the one presented is spent. A spent one presented again ends the whole sign-in
    (committed before the refusal): whoever copied it and its owner are both signed out."""
    stored = await uow.refresh_tokens.get(hash_token(refresh_token), lock=True)
    if stored is None or await uow.sessions.revoked(stored.session_id):
        raise sign_ins.invalid_refresh_token()
    record = await uow.sessions.sign_in(stored.session_id)
    person = await uow.people.get(record.person_id) if record else None
    if record is None or person is None:
        raise sign_ins.invalid_refresh_token()
    try:
        stored.spend(uow.now())
    except RefreshTokenReused:
        await _end(record, uow)
        await uow.commit()
        raise
    person.ensure_may_sign_in()
    await uow.refresh_tokens.save(stored)
    token, _ = await _token_for(person, record.account_id, record.session_id, issuer, uow)
    new_token, expires_at = await _new_refresh_token(record.session_id, uow)
    await uow.sessions.extend(record.session_id, expires_at, used_at=uow.now())
    await uow.commit()
    return SignedIn(token, record.session_id, new_token, expires_at)


async def my_sign_ins(caller: Caller, page: PageRequest, uow: IdentityUnitOfWork) -> list[SignInRecord]:
    """R42: the caller's own open sign-ins, and no one else's."""
    return await uow.sessions.sign_ins_of(caller.person_id, uow.now(), page)


async def end_sign_in(caller: Caller, session_id: str, uow: IdentityUnitOfWork) -> SignedOut:
    """R42: the caller ends one of their sign-ins (a lost laptop): its tokens and refresh token
    stop working. Another person's, or one already ended, is unknown (404)."""
    record = await uow.sessions.open_sign_in(session_id, caller.person_id, uow.now())
    if record is None:
        raise not_found("sign-in", session_id)
    ended = await _end(record, uow)
    assert ended is not None  # open_sign_in found it open, in this transaction
    return ended


async def _end(record: SignInRecord, uow: IdentityUnitOfWork) -> SignedOut | None:
    """The sign-in ends as a sign-out does: identity refuses its tokens at once, the others
    learn it from `identity.signed_out`. None if it had ended already."""
    if not await uow.sessions.revoke(record.session_id, record.person_id, uow.now()):
        return None
    ended = SignedOut(
        person_id=record.person_id,
        account_id=record.account_id,
        session_id=record.session_id,
        signed_out_at=uow.now(),
    )
    await uow.publish(ended)
    return ended


async def _count_failure(
    throttle: SignInThrottle, attempt: SignIn, limits: SignInLimits, uow: IdentityUnitOfWork
) -> NoReturn:
    """The failure is committed before the refusal, so it counts toward the limits."""
    throttle.record_failure(uow.now())
    await uow.throttles.save(throttle)
    await limits.record_failure(uow.conn, throttle.email, attempt.client, uow.now())
    await uow.commit()
    raise RuleViolation("bad_credentials", "Unknown e-mail or wrong password.", refusal=Refusal.UNAUTHENTICATED)


async def _token_for(
    person: Person, account_id: str | None, session_id: str, issuer: Issuer, uow: IdentityUnitOfWork
) -> tuple[str, str]:
    """R2: a token acts for one account the person is a member of (the first one by default)."""
    memberships = await uow.contacts.memberships_of(person.id)
    if account_id is None and memberships:
        account_id = memberships[0].account_id
    if account_id is None:
        raise RuleViolation(
            "no_account",
            "You are not a contact of any account yet (R2): register a "
            "company with POST /accounts, or ask an administrator to add you.",
            rule="R2",
            refusal=Refusal.FORBIDDEN,
        )
    ensure_member(memberships, account_id)
    caller = Caller(
        person_id=person.id,
        account_id=account_id,
        email=person.email,
        name=person.name,
        locale=person.locale,
        session_id=session_id,
    )
    return issue_token(issuer.secret, caller, uow.now(), issuer.ttl), account_id


async def switch_account(caller: Caller, account_id: str, issuer: Issuer, uow: IdentityUnitOfWork) -> str:
    """R2: a token for another account of the same person, in the same session."""
    person = await uow.people.get(caller.person_id)
    if person is None:
        raise unauthenticated("This person no longer exists; sign in again.")
    session_id = caller.session_id or str(uuid.uuid4())
    token, _ = await _token_for(person, account_id, session_id, issuer, uow)
    # The session now lasts as long as its newest token: a password reset must still end it.
    await uow.sessions.extend(session_id, uow.now() + issuer.ttl, used_at=uow.now())
    await uow.commit()
    return token


async def sign_out(caller: Caller, uow: IdentityUnitOfWork) -> SignedOut:
    if not caller.session_id:
        raise RuleViolation(
            "no_session",
            "This token predates sessions and cannot be signed out; it expires on its own.",
            refusal=Refusal.INVALID,
        )
    await uow.sessions.revoke(caller.session_id, caller.person_id, uow.now())
    signed_out = SignedOut(
        person_id=caller.person_id, account_id=caller.account_id, session_id=caller.session_id, signed_out_at=uow.now()
    )
    await uow.publish(signed_out)
    return signed_out


async def ensure_session_open(caller: Caller, uow: IdentityUnitOfWork) -> None:
    """Identity refuses a signed-out session's tokens at once."""
    if caller.session_id and await uow.sessions.revoked(caller.session_id):
        raise unauthenticated("You signed out of this session; sign in again.")


async def end_every_session(person_id: str, uow: IdentityUnitOfWork) -> list[str]:
    """A new password ends every session the person signed in to (each as if signed out:
    identity refuses its tokens at once, the other services learn it from
    `identity.signed_out`). Returns the sessions ended."""
    ended = []
    for session_id, account_id in await uow.sessions.open_of(person_id, uow.now()):
        if await uow.sessions.revoke(session_id, person_id, uow.now()):
            await uow.publish(
                SignedOut(person_id=person_id, account_id=account_id, session_id=session_id, signed_out_at=uow.now())
            )
            ended.append(session_id)
    return ended


async def forget_ended_sign_ins(uow: IdentityUnitOfWork) -> None:
    """Housekeeping (`ServiceRuntime.add_housekeeping`): sign-ins ended 30 days ago, their
    refresh tokens and sign-outs are forgotten, a bounded batch per round."""
    await uow.sessions.forget_ended(uow.now())
