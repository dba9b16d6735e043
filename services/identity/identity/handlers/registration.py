"""Registering people and accounts, and verifying their e-mail (R1, R3, R4)."""

from __future__ import annotations

import secrets
import uuid
from dataclasses import dataclass
from urllib.parse import parse_qs, urlsplit

from contracts.identity import AccountRegistered, RegistrationAttempted
from contracts.parties import AccountBillingDetails
from identity.adapters import passwords
from identity.domain import billing_details, links, people
from identity.domain.accounts import Account, CustomerType, founding_administrator
from identity.domain.links import LinkState, hash_token
from identity.domain.people import Person
from identity.handlers import limits
from identity.store.uow import IdentityUnitOfWork

VERIFICATION_DEADLINE_JOB = "account_verification_deadline"


@dataclass(frozen=True)
class Registration:
    email: str
    password: str
    name: str
    locale: str
    accept_terms: bool


@dataclass(frozen=True)
class Registered:
    """What a registrant is told. It looks the same whether the address was free or belongs to
    someone (then the ids are made up and nothing was created; the owner is e-mailed): the
    answer must not tell who is registered (issue 11, item 8)."""

    person_id: str
    account_id: str | None = None
    email_verified: bool = False


async def register_person(
    reg: Registration,
    base_url: str,
    uow: IdentityUnitOfWork,
    company_name: str | None = None,
    customer_type: CustomerType | None = None,
    billing: AccountBillingDetails | None = None,
) -> Registered:
    """R1: one registration per e-mail. A verified owner keeps it (and is told someone tried);
    an unverified one is replaced by this one (item 14); R4: invitations to the e-mail become
    memberships. With `company_name`, an account too, with this person as administrator (R3),
    and its billing details when given (issue 15)."""
    # The same refusals and the same hashing work whoever owns the address.
    people.ensure_terms_accepted(reg.accept_terms)
    people.check_password_strength(reg.password)
    email = people.normalise_email(reg.email)
    password_hash = await passwords.hashed(reg.password)
    person = await uow.people.by_email(email, lock=True)
    if person is not None and person.verified:
        await _tell_owner_of_attempt(person, uow)
        return Registered(str(uuid.uuid4()), str(uuid.uuid4()) if company_name is not None else None)
    if person is None:
        person, registered = people.register(
            str(uuid.uuid4()), email, reg.name, reg.locale, password_hash, reg.accept_terms, uow.now()
        )
    else:
        await _withdraw_accounts_founded_by(person, uow)
        registered = people.register_again(person, reg.name, reg.locale, password_hash, reg.accept_terms, uow.now())
    await uow.people.save(person)
    await uow.publish(registered)
    await _accept_invitations(person, uow)
    await send_verification_link(person, base_url, uow)
    account = await _found_account(company_name, person, uow, customer_type) if company_name is not None else None
    if account is not None and billing is not None:
        await _set_billing_details(account, billing, person, uow)
    return Registered(person.id, account.id if account else None, person.verified)


async def _tell_owner_of_attempt(owner: Person, uow: IdentityUnitOfWork) -> None:
    """Someone registered the owner's address: the owner learns it by e-mail (at most a few an
    hour), the registrant learns nothing."""
    if await limits.may_mail(uow.conn, owner.email, uow.now()):
        await uow.publish(RegistrationAttempted(person=owner.contact(), attempted_at=uow.now()))


async def _withdraw_accounts_founded_by(person: Person, uow: IdentityUnitOfWork) -> None:
    """Accounts the replaced, unverified registration created would otherwise pass to whoever
    verifies the mailbox, who did not create them. Nobody ever acted for them (their founder
    could not sign in), so they are withdrawn: the founder's row is unlinked (kept, R5), the
    R3 deadline is cancelled, and downstream consumers are told."""
    for account in await uow.accounts.founded_by(person.id):
        withdrawn = account.withdraw(uow.now())
        if withdrawn is None:
            continue
        await uow.accounts.save(account)
        for contact in await uow.contacts.of_account(account.id):
            if contact.person_id == person.id:
                contact.unlink()
                await uow.contacts.save(contact)
        await uow.cancel_job(verification_deadline_job(account.id))
        await uow.publish(withdrawn)


async def _accept_invitations(person: Person, uow: IdentityUnitOfWork) -> None:
    """R4: every account that invited this e-mail gains them as a member."""
    for invitation in await uow.contacts.invitations_for(person.email):
        invitation.link(person)
        await uow.contacts.save(invitation)


async def _found_account(
    company_name: str, person: Person, uow: IdentityUnitOfWork, customer_type: CustomerType | None = None
) -> Account:
    """A customer account with its registering person as administrator, pending verification (R3);
    its customer type, if chosen already, says which documents it sends (R44)."""
    account = Account(str(uuid.uuid4()), company_name.strip(), person.id, uow.now(), customer_type=customer_type)
    await uow.accounts.save(account)
    await uow.contacts.save(founding_administrator(str(uuid.uuid4()), account, person))
    await uow.publish(
        AccountRegistered(
            account_id=account.id,
            company_name=account.company_name,
            administrator_id=person.id,
            registered_at=account.registered_at,
        )
    )
    await uow.schedule(
        verification_deadline_job(account.id), VERIFICATION_DEADLINE_JOB, account.id, account.verification_deadline
    )
    return account


async def _set_billing_details(
    account: Account, details: AccountBillingDetails, person: Person, uow: IdentityUnitOfWork
) -> None:
    """Issue 15: the details given with the registration, set by its registering person."""
    changed = billing_details.change(None, account.id, details, person.id, uow.now())
    assert changed is not None  # a new account has none yet
    billing, event = changed
    await uow.billing_details.save(billing)
    await uow.publish(event)


def verification_deadline_job(account_id: str) -> str:
    return f"account-verification-deadline:{account_id}"


async def send_verification_link(person: Person, base_url: str, uow: IdentityUnitOfWork) -> None:
    """A new single-use link; earlier ones stop working. Only its hash is stored. Past the
    hourly cap of e-mails to one address nothing is sent (and the earlier link still works)."""
    if not await limits.may_mail(uow.conn, person.email, uow.now()):
        return
    await uow.links.replace_pending(person.id)
    link, request = links.new_link(secrets.token_urlsafe(32), person.contact(), base_url, uow.now())
    await uow.links.save(link)
    await uow.publish(request)


async def verify_email(token: str, uow: IdentityUnitOfWork) -> Person:
    found = await uow.links.get(hash_token(token))
    # The person's row is the lock for their links (a resend replaces them under it): take it
    # first, then read the link again as it is now.
    person = await uow.people.get(found.person_id, lock=True) if found is not None else None
    link = await uow.links.get(found.token_hash) if found is not None and person is not None else None
    if link is None or person is None:
        raise links.unknown_link()
    link.use(uow.now())
    verified = person.verify_email(uow.now())
    await uow.links.save(link)
    await uow.people.save(person)
    await uow.publish(verified)
    # R4, R39 again: an invitation consumed while this person's registration was still being
    # committed did not see them, and registration did not see it; the mailbox owner is the
    # one it was addressed to.
    await _accept_invitations(person, uow)
    return person


async def resend_verification(email: str, base_url: str, uow: IdentityUnitOfWork) -> None:
    """Sends a link only to a registered, unverified e-mail; the answer is the same either way."""
    person = await uow.people.by_email(people.normalise_email(email), lock=True)
    if person is not None and not person.verified:
        await send_verification_link(person, base_url, uow)


async def pending_link(email: str, uow: IdentityUnitOfWork) -> str | None:
    """Test stacks only: the latest link, if it still works, read back from the outbox
    (identity's own tables hold only hashes)."""
    person = await uow.people.by_email(people.normalise_email(email))
    url = await uow.links.latest_url_sent(person.id) if person is not None else None
    if not url:
        return None
    [token] = parse_qs(urlsplit(url).query)["token"]
    link = await uow.links.get(hash_token(token))
    return url if link and link.state is LinkState.PENDING and uow.now() < link.expires_at else None
