"""Sessions: sign in (R1, slowed down after failures), switch account (R2), sign out.

A token's `sid` names its session. Signing out records the session as ended: identity refuses
its tokens at once; the other services verify tokens locally, so there a signed-out token
works until it expires (at most TOKEN_TTL later).
"""
from __future__ import annotations

import uuid
from datetime import timedelta

from argon2.exceptions import InvalidHashError, VerificationError

from contracts.errors import Refusal, RuleViolation
from contracts.identity import SignedOut
from identity.domain.accounts import ensure_member
from identity.domain.people import Person
from identity.domain.throttle import SignInThrottle
from identity.handlers.registration import hasher
from identity.store import IdentityRepository
from servicekit.auth import Caller, issue_token, unauthenticated
from servicekit.uow import UnitOfWork

TOKEN_TTL = timedelta(hours=1)


async def sign_in(email: str, password: str, account_id: str | None, secret: str, uow: UnitOfWork) -> str:
    """R1: verified people only; after repeated failures, slowed down per e-mail (see throttle)."""
    email = email.strip().lower()
    repo = IdentityRepository(uow.conn)
    throttle = await repo.throttle(email, lock=True)  # concurrent failures all count
    throttle.check(uow.now())
    person = await repo.person_by_email(email)
    if person is None or not _password_matches(person, password):
        await _count_failure(throttle, repo, uow)
    person.ensure_may_sign_in()
    throttle.reset()
    await repo.save_throttle(throttle)
    token = await _token_for(person, account_id, str(uuid.uuid4()), secret, uow)
    await uow.commit()
    return token


async def _count_failure(throttle: SignInThrottle, repo: IdentityRepository, uow: UnitOfWork) -> None:
    """The failure is committed before the refusal, so it counts toward the limit."""
    throttle.record_failure(uow.now())
    await repo.save_throttle(throttle)
    await uow.commit()
    raise RuleViolation("bad_credentials", "Unknown e-mail or wrong password.", refusal=Refusal.UNAUTHENTICATED)


def _password_matches(person: Person, password: str) -> bool:
    try:
        return hasher.verify(person.password_hash, password)
    except (VerificationError, InvalidHashError):
        return False


async def _token_for(person: Person, account_id: str | None, session_id: str, secret: str,
                     uow: UnitOfWork) -> str:
    """R2: a token acts for one account the person is a member of (the first one by default)."""
    memberships = await IdentityRepository(uow.conn).memberships_of(person.id)
    if account_id is None and memberships:
        account_id = memberships[0].account_id
    if account_id is None:
        raise RuleViolation("no_account", "You are not a contact of any account yet (R2): register a "
                            "company with POST /accounts, or ask an administrator to add you.",
                            rule="R2", refusal=Refusal.FORBIDDEN)
    ensure_member(memberships, account_id)
    caller = Caller(person_id=person.id, account_id=account_id, email=person.email, name=person.name,
                    locale=person.locale, session_id=session_id)
    return issue_token(secret, caller, uow.now(), TOKEN_TTL)


async def switch_account(caller: Caller, account_id: str, secret: str, uow: UnitOfWork) -> str:
    """R2: a token for another account of the same person, in the same session."""
    person = await IdentityRepository(uow.conn).person(caller.person_id)
    if person is None:
        raise unauthenticated("This person no longer exists; sign in again.")
    return await _token_for(person, account_id, caller.session_id or str(uuid.uuid4()), secret, uow)


async def sign_out(caller: Caller, uow: UnitOfWork) -> SignedOut:
    if not caller.session_id:
        raise RuleViolation("no_session", "This token predates sessions and cannot be signed out; it "
                            "expires within the hour.", refusal=Refusal.INVALID)
    await IdentityRepository(uow.conn).revoke_session(caller.session_id, caller.person_id, uow.now())
    signed_out = SignedOut(person_id=caller.person_id, account_id=caller.account_id,
                           session_id=caller.session_id, signed_out_at=uow.now())
    await uow.publish(signed_out)
    return signed_out


async def ensure_session_open(caller: Caller, uow: UnitOfWork) -> None:
    """Identity refuses a signed-out session's tokens at once."""
    if caller.session_id and await IdentityRepository(uow.conn).session_revoked(caller.session_id):
        raise unauthenticated("You signed out of this session; sign in again.")
