"""Accounts and their contacts: reading, adding contacts (R4), document verification (R3)."""

from __future__ import annotations

import uuid
from urllib.parse import quote

from contracts.errors import not_found
from identity.domain import accounts
from identity.domain.accounts import Account, AccountContact, NewContact
from identity.domain.people import normalise_email
from identity.handlers.registration import verification_deadline_job
from identity.store.uow import IdentityUnitOfWork
from servicekit.http.auth import Caller
from servicekit.http.pagination import PageRequest
from servicekit.scheduler import DueJob


async def account_for(caller: Caller, account_id: str, uow: IdentityUnitOfWork, lock: bool = False) -> Account:
    """R2: only the account the caller acts for is visible, and only while they are its member.
    `lock`: the account row is the lock for its contacts too."""
    accounts.ensure_acting_for(caller.account_id, account_id)
    accounts.ensure_member(await uow.contacts.memberships_of(caller.person_id), account_id)
    account = await uow.accounts.get(account_id, lock=lock)
    if account is None:
        raise not_found("account", account_id)
    return account


async def contacts_of(
    caller: Caller, account_id: str, page: PageRequest, uow: IdentityUnitOfWork
) -> list[AccountContact]:
    """R4: one page of the account's contacts, in the order they were added."""
    await account_for(caller, account_id, uow)
    return await uow.contacts.of_account(account_id, page)


async def my_accounts(
    caller: Caller, page: PageRequest, uow: IdentityUnitOfWork
) -> list[tuple[Account, AccountContact]]:
    """R2: one page of the accounts the caller may switch to, with their role in each."""
    return [
        (account, membership)
        for membership in await uow.contacts.memberships_of(caller.person_id, page)
        if (account := await uow.accounts.get(membership.account_id)) is not None
    ]


async def add_contact(
    caller: Caller, account_id: str, new: NewContact, base_url: str, uow: IdentityUnitOfWork
) -> AccountContact:
    """R4: linked at once when the e-mail is registered, otherwise created and invited."""
    account = await account_for(caller, account_id, uow, lock=True)  # one e-mail added once
    by = accounts.ensure_member(await uow.contacts.memberships_of(caller.person_id), account_id)
    new = NewContact(normalise_email(new.email), new.first_name, new.last_name, new.locale)
    contact, added = accounts.add_contact(
        account,
        by,
        await uow.contacts.of_account(account_id),
        new,
        await uow.people.by_email(new.email),
        str(uuid.uuid4()),
        register_url(base_url, new.email),
        uow.now(),
    )
    await uow.contacts.save(contact)
    await uow.publish(added)
    return contact


def register_url(base_url: str, email: str) -> str:
    """Where an invited contact registers; it carries no secret."""
    return f"{base_url}/people/registration?email={quote(email)}"


async def remove_contact(caller: Caller, account_id: str, uow: IdentityUnitOfWork) -> None:
    await account_for(caller, account_id, uow)
    raise accounts.refuse_contact_deletion()


async def accept_documents(account_id: str, uow: IdentityUnitOfWork) -> Account:
    """R3 (operator): the account's documents are accepted; the 60-day deadline no longer applies."""
    account = await uow.accounts.get(account_id, lock=True)
    if account is None:
        raise not_found("account", account_id)
    verified = account.accept_documents(uow.now())
    await uow.accounts.save(account)
    await uow.cancel_job(verification_deadline_job(account_id))
    await uow.publish(verified)
    return account


async def lapse_verification(job: DueJob, uow: IdentityUnitOfWork) -> None:
    """R3: 60 days after registration, an account still pending verification lapses."""
    account = await uow.accounts.get(job.subject, lock=True)
    administrator = await uow.people.get(account.administrator_id) if account is not None else None
    if account is None or administrator is None:
        return  # the job outlived its account: nothing to lapse
    if lapsed := account.lapse_verification(administrator.contact(), job.due_at):
        await uow.accounts.save(account)
        await uow.publish(lapsed)
