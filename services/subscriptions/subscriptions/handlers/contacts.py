"""Identity's public events kept as the company directory (R17, R38): who is a contact of
which company, and who registered with which e-mail. A transfer of the administration looks
the new administrator up here by e-mail."""

from __future__ import annotations

from contracts.identity import AccountRegistered, AccountWithdrawn, ContactAdded, PersonRegistered
from subscriptions.store.uow import SubscriptionsUnitOfWork


async def account_registered(event: AccountRegistered, uow: SubscriptionsUnitOfWork) -> None:
    """The founder is the company's first member (its administrator at identity)."""
    await uow.contacts.add_member(event.account_id, event.administrator_id)


async def contact_added(event: ContactAdded, uow: SubscriptionsUnitOfWork) -> None:
    """R4: the address is a contact now. Only a linked contact carries a real person id: an
    invited one's `person_id` is identity's contact id, standing in until they register."""
    await uow.contacts.add_invitee(event.account_id, event.contact.email.lower())
    if event.linked:
        await uow.contacts.add_member(event.account_id, event.contact.person_id)


async def person_registered(event: PersonRegistered, uow: SubscriptionsUnitOfWork) -> None:
    """An invited contact who registers is linked by identity without a further event: their
    address, kept here, is what links them in this view."""
    await uow.contacts.remember_person(event.person, event.registered_at)


async def account_withdrawn(event: AccountWithdrawn, uow: SubscriptionsUnitOfWork) -> None:
    await uow.contacts.forget_account(event.account_id)
