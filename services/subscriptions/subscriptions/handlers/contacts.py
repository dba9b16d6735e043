"""Identity's public events kept as the company directory (R17, R38): who is a contact of
which company, and who registered with which e-mail. A transfer of the administration looks
the new administrator up here by e-mail."""
from __future__ import annotations

from contracts.identity import AccountRegistered, AccountWithdrawn, ContactAdded, PersonRegistered
from servicekit.store.uow import UnitOfWork
from subscriptions.store import CompanyDirectory


async def account_registered(event: AccountRegistered, uow: UnitOfWork) -> None:
    """The founder is the company's first member (its administrator at identity)."""
    await CompanyDirectory(uow.conn).add_member(event.account_id, event.administrator_id)


async def contact_added(event: ContactAdded, uow: UnitOfWork) -> None:
    """R4: the address is a contact now. Only a linked contact carries a real person id: an
    invited one's `person_id` is identity's contact id, standing in until they register."""
    directory = CompanyDirectory(uow.conn)
    await directory.add_invitee(event.account_id, event.contact.email.lower())
    if event.linked:
        await directory.add_member(event.account_id, event.contact.person_id)


async def person_registered(event: PersonRegistered, uow: UnitOfWork) -> None:
    """An invited contact who registers is linked by identity without a further event: their
    address, kept here, is what links them in this view."""
    await CompanyDirectory(uow.conn).remember_person(event.person, event.registered_at)


async def account_withdrawn(event: AccountWithdrawn, uow: UnitOfWork) -> None:
    await CompanyDirectory(uow.conn).forget_account(event.account_id)


HANDLERS = ((AccountRegistered, account_registered), (ContactAdded, contact_added),
            (PersonRegistered, person_registered), (AccountWithdrawn, account_withdrawn))
