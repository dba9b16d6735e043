"""An account's billing details (issue 15, item 1): read by its members, changed by its
administrators, set at sign-up (`handlers.registration`) or taken over from the first order
that gave some (`subscription.purchased`, R45). Each change publishes
`identity.billing_details_changed` in the same transaction; the same details again publish
nothing."""

from __future__ import annotations

import logging
from collections.abc import Mapping
from typing import Any

from contracts.errors import InconsistentEvent, not_found
from contracts.subscriptions import SubscriptionPurchased
from identity.domain import accounts as account_rules
from identity.domain import billing_details as rules
from identity.domain.accounts import AccountStatus
from identity.domain.billing_details import AccountBilling
from identity.handlers.accounts import account_for
from identity.store.uow import IdentityUnitOfWork
from servicekit.http.auth import Caller

log = logging.getLogger("identity.billing_details")


async def billing_details_of(caller: Caller, account_id: str, uow: IdentityUnitOfWork) -> AccountBilling:
    """Any member of the account (R2); 404 `billing_details_not_found` while none are set."""
    await account_for(caller, account_id, uow)
    found = await uow.billing_details.get(account_id)
    if found is None:
        raise not_found("billing_details", account_id)
    return found


async def change_billing_details(
    caller: Caller, account_id: str, raw: Mapping[str, Any], uow: IdentityUnitOfWork
) -> AccountBilling:
    """The account's administrators only (403 `not_an_administrator`); who asks is checked
    before what they sent, so a stranger learns nothing from a 422. The account's row is the
    lock: two changes at once apply one after the other."""
    await account_for(caller, account_id, uow, lock=True)
    account_rules.ensure_administrator(
        account_rules.ensure_member(await uow.contacts.memberships_of(caller.person_id), account_id),
        "Only an administrator of this account changes its billing details (issue 15).",
        rule=None,
    )
    details = rules.checked(raw)
    current = await uow.billing_details.get(account_id)
    changed = rules.change(current, account_id, details, caller.person_id, uow.now())
    if changed is None:
        assert current is not None  # change() answers None only for the details in force
        return current
    await _save(changed, uow)
    return changed[0]


async def order_billing_details(event: SubscriptionPurchased, uow: IdentityUnitOfWork) -> None:
    """Issue 15, R45: an account without billing details takes those its order gave, changed by
    the purchaser; one that has some keeps them. Once per order (the inbox stops a redelivery,
    and a second order finds the details set). An order of an account identity never registered
    contradicts what it knows: dead-lettered as inconsistent."""
    if event.billing is None:
        return
    account = await uow.accounts.get(event.account_id, lock=True)  # the lock for its details
    if account is None:
        raise InconsistentEvent(
            f"subscription.purchased names account {event.account_id}, which identity never registered"
        )
    if account.status is AccountStatus.WITHDRAWN:
        return  # nobody acts for it
    current = await uow.billing_details.get(account.id)
    changed = rules.adopt_from_order(current, account.id, event.billing, event.administrator.person_id, uow.now())
    if changed is None:
        if current is None:
            log.warning(
                "the billing details of order %s do not pass today's checks; not taken over", event.subscription_id
            )
        return
    await _save(changed, uow)


async def _save(changed: tuple[AccountBilling, Any], uow: IdentityUnitOfWork) -> None:
    billing, event = changed
    await uow.billing_details.save(billing)
    await uow.publish(event)
