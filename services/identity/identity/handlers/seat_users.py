"""Seat users are contacts of the company (R39): consuming `seats.user_invited`.

Seats invites a user to a subscription (one, imported ones, and again on a resend); identity
makes the invited e-mail a member-role contact of the subscription's account, so that once they
register and verify they may sign in acting for it (R2, R4). Its `identity.contact_added` is
marked `seat_user`: seats' invitation already went out, so nobody mails another.
"""

from __future__ import annotations

import uuid

from contracts.errors import InconsistentEvent, RuleViolation
from contracts.seats import UserInvited
from contracts.values import Contact
from identity.domain import accounts
from identity.domain.people import normalise_email
from identity.store.uow import IdentityUnitOfWork

MAX_EMAIL_LENGTH = 320  # `contacts.email`


async def seat_user_invited(event: UserInvited, uow: IdentityUnitOfWork) -> None:
    """R39: the invited e-mail becomes a contact of the account once, whatever the number of
    invitations (a redelivery is stopped by the inbox, a resend or another subscription's
    invitation finds the contact). Refused as inconsistent when identity cannot vouch for it:
    an unknown or withdrawn account, an inviter who is not its member."""
    user = _checked(event.user)
    account = await uow.accounts.get(event.account_id, lock=True)  # the lock for its contacts
    inviter = await uow.contacts.member(event.account_id, event.invited_by.person_id)
    account = accounts.ensure_may_invite_seat_users(account, inviter, event.account_id)
    assert inviter is not None  # ensure_may_invite_seat_users refuses an event without one
    added = accounts.seat_user_contact(
        account,
        await uow.contacts.with_email(account.id, user.email),
        user,
        inviter,
        await uow.people.by_email(user.email),
        str(uuid.uuid4()),
        uow.now(),
    )
    if added is not None:
        contact, event_added = added
        await uow.contacts.save(contact)
        await uow.publish(event_added)


def _checked(user: Contact) -> Contact:
    """Seats checked the address when the user was added: one that is not an address now was
    not written by seats."""
    try:
        email = normalise_email(user.email)
    except RuleViolation as error:
        raise InconsistentEvent("seats.user_invited invites a user whose e-mail is not an address") from error
    if len(email) > MAX_EMAIL_LENGTH:
        raise InconsistentEvent("seats.user_invited invites an address longer than any e-mail address")
    return user.model_copy(update={"email": email})
