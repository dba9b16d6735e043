"""Forgotten passwords (R1): a single-use link by e-mail, then a new password that ends every
session; and the person's own profile (name, language).

Asking for a link answers alike for any address (nothing tells whether it is registered). It
is throttled as signing in is: per client address (`limits.PASSWORD_RESETS_PER_CLIENT` requests
in 15 minutes, then 429, which tells nothing about any address) and per e-mail (the hourly cap of
e-mails identity sends on anonymous requests, `limits.may_mail`: past it nothing is sent and the
earlier link still works).
"""

from __future__ import annotations

import secrets
from dataclasses import dataclass

from identity.adapters import passwords
from identity.domain import people, resets
from identity.domain.links import hash_token
from identity.domain.people import Person
from identity.handlers import limits
from identity.handlers.sessions import end_every_session
from identity.store.uow import IdentityUnitOfWork
from servicekit.http.auth import unauthenticated


@dataclass(frozen=True)
class PasswordChanged:
    person_id: str
    sessions_ended: int


async def request_reset(email: str, client: str, portal_url: str, uow: IdentityUnitOfWork) -> None:
    """A link to the verified person with this address, if any, within the limits. An
    unverified person gets none: they cannot sign in yet, and registering again or a new
    verification link is their way in (R1)."""
    await limits.take_password_reset(uow.conn, client, uow.now())
    person = await uow.people.by_email(people.normalise_email(email), lock=True)
    if person is None or not person.verified:
        return
    if not await limits.may_mail(uow.conn, person.email, uow.now()):
        return
    await uow.resets.replace_pending(person.id)
    reset, requested = resets.new_reset(secrets.token_urlsafe(32), person.contact(), portal_url, uow.now())
    await uow.resets.save(reset)
    await uow.publish(requested)


async def complete_reset(token: str, password: str, uow: IdentityUnitOfWork) -> PasswordChanged:
    """R1: the new password must be as strong as at registration; the link is consumed and every
    session of the person ends (whoever knew the old password is signed out)."""
    people.check_password_strength(password)
    password_hash = await passwords.hashed(password)
    found = await uow.resets.get(hash_token(token))
    # The person's row is the lock for their links (a new request replaces them under it).
    person = await uow.people.get(found.person_id, lock=True) if found is not None else None
    reset = await uow.resets.get(found.token_hash) if found is not None and person is not None else None
    if reset is None or person is None:
        raise resets.unknown_reset()
    reset.use(uow.now())
    person.change_password(password_hash)
    await uow.resets.save(reset)
    await uow.people.save(person)
    ended = await end_every_session(person.id, uow)
    return PasswordChanged(person.id, len(ended))


async def profile(person_id: str, uow: IdentityUnitOfWork) -> Person:
    person = await uow.people.get(person_id)
    if person is None:
        raise unauthenticated("This person no longer exists; sign in again.")
    return person


async def update_profile(person_id: str, name: str | None, locale: str | None, uow: IdentityUnitOfWork) -> Person:
    """The name and language of the person's e-mails, pages and next tokens."""
    person = await uow.people.get(person_id, lock=True)
    if person is None:
        raise unauthenticated("This person no longer exists; sign in again.")
    person.update_profile(name, locale)
    await uow.people.save(person)
    return person
