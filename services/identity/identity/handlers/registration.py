"""Registering people and accounts, and verifying their e-mail (R1, R3, R4)."""
from __future__ import annotations

import json
import secrets
import uuid
from dataclasses import dataclass
from urllib.parse import parse_qs, urlsplit

from argon2 import PasswordHasher
from sqlalchemy import select

from contracts.identity import AccountRegistered, VerificationEmailRequested
from identity.domain import links, people
from identity.domain.accounts import Account, founding_administrator
from identity.domain.links import LinkState, hash_token
from identity.domain.people import Person
from identity.store import IdentityRepository
from servicekit.tables import outbox
from servicekit.uow import UnitOfWork

hasher = PasswordHasher()  # argon2id with the library's current recommended parameters
VERIFICATION_DEADLINE_JOB = "account_verification_deadline"


@dataclass(frozen=True)
class Registration:
    email: str
    password: str
    name: str
    locale: str
    accept_terms: bool


async def register_person(reg: Registration, base_url: str, uow: UnitOfWork) -> Person:
    """R1: one registration per e-mail; R4: invitations to that e-mail become memberships."""
    people.check_password_strength(reg.password)
    repo = IdentityRepository(uow.conn)
    if await repo.person_by_email(people.normalise_email(reg.email)) is not None:
        raise people.refuse_second_registration()
    person, registered = people.register(str(uuid.uuid4()), reg.email, reg.name, reg.locale,
                                         hasher.hash(reg.password), reg.accept_terms, uow.now())
    await repo.save_person(person)
    await uow.publish(registered)
    await _accept_invitations(person, repo)
    await send_verification_link(person, base_url, uow)
    return person


async def _accept_invitations(person: Person, repo: IdentityRepository) -> None:
    """R4: every account that invited this e-mail gains them as a member."""
    for invitation in await repo.invitations_for(person.email):
        invitation.link(person)
        await repo.save_contact(invitation)


async def register_account(company_name: str, reg: Registration, base_url: str,
                           uow: UnitOfWork) -> tuple[Account, Person]:
    """A customer account with its registering person as administrator, pending verification (R3)."""
    person = await register_person(reg, base_url, uow)
    account = Account(str(uuid.uuid4()), company_name.strip(), person.id, uow.now())
    repo = IdentityRepository(uow.conn)
    await repo.save_account(account)
    await repo.save_contact(founding_administrator(str(uuid.uuid4()), account, person))
    await uow.publish(AccountRegistered(account_id=account.id, company_name=account.company_name,
                                        administrator_id=person.id, registered_at=account.registered_at))
    await uow.schedule(verification_deadline_job(account.id), VERIFICATION_DEADLINE_JOB, account.id,
                       account.verification_deadline)
    return account, person


def verification_deadline_job(account_id: str) -> str:
    return f"account-verification-deadline:{account_id}"


async def send_verification_link(person: Person, base_url: str, uow: UnitOfWork) -> None:
    """A new single-use link; earlier ones stop working. Only its hash is stored."""
    repo = IdentityRepository(uow.conn)
    await repo.replace_pending_links(person.id)
    link, request = links.new_link(secrets.token_urlsafe(32), person.contact(), base_url, uow.now())
    await repo.save_link(link)
    await uow.publish(request)


async def verify_email(token: str, uow: UnitOfWork) -> Person:
    repo = IdentityRepository(uow.conn)
    found = await repo.link(hash_token(token))
    # The person's row is the lock for their links (a resend replaces them under it): take it
    # first, then read the link again as it is now.
    person = found and await repo.person(found.person_id, lock=True)
    link = person and await repo.link(found.token_hash)
    if not link:
        raise links.unknown_link()
    link.use(uow.now())
    verified = person.verify_email(uow.now())
    await repo.save_link(link)
    await repo.save_person(person)
    await uow.publish(verified)
    return person


async def resend_verification(email: str, base_url: str, uow: UnitOfWork) -> None:
    """Sends a link only to a registered, unverified e-mail; the answer is the same either way."""
    person = await IdentityRepository(uow.conn).person_by_email(people.normalise_email(email), lock=True)
    if person is not None and not person.verified:
        await send_verification_link(person, base_url, uow)


async def pending_link(email: str, uow: UnitOfWork) -> str | None:
    """Test stacks only: the latest link, if it still works, read back from the outbox
    (identity's own tables hold only hashes)."""
    repo = IdentityRepository(uow.conn)
    person = await repo.person_by_email(people.normalise_email(email))
    url = person and await _latest_link_sent(person.id, uow)
    if not url:
        return None
    [token] = parse_qs(urlsplit(url).query)["token"]
    link = await repo.link(hash_token(token))
    return url if link and link.state is LinkState.PENDING and uow.now() < link.expires_at else None


async def _latest_link_sent(person_id: str, uow: UnitOfWork) -> str | None:
    body = (await uow.conn.execute(select(outbox.c.body).where(
        outbox.c.event_type == VerificationEmailRequested.type, outbox.c.key == person_id,
    ).order_by(outbox.c.seq.desc()).limit(1))).scalar()
    return json.loads(body)["data"]["verify_url"] if body else None
