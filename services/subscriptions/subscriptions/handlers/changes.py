"""Handlers of changes to a running subscription: tier (R12, R13), billing cycle (R16),
administrator (R17), purchase details (R18), add-ons (R20), and the quantity in force that
the seats service owns."""

from __future__ import annotations

import uuid
from collections.abc import Callable

from contracts.envelope import Event
from contracts.errors import InconsistentEvent
from contracts.seats import SeatQuantityChanged
from contracts.values import BillingCycle
from servicekit.http.auth import Caller
from subscriptions import domain
from subscriptions.adapters.catalogue import Catalogue
from subscriptions.domain import agreements, amendments, changes, contacts
from subscriptions.store.uow import SubscriptionsUnitOfWork


def amendment_url(portal_url: str, subscription_id: str, amendment_id: str) -> str:
    return f"{portal_url}/subscriptions/{subscription_id}/amendments/{amendment_id}"


async def propose_amendment(
    subscription_id: str,
    caller: Caller,
    to_tier: str,
    uow: SubscriptionsUnitOfWork,
    *,
    catalogue: Catalogue,
    portal_url: str,
) -> amendments.Amendment:
    s = await uow.subscriptions.get(subscription_id, lock=True)
    open_one, amendment_id = await uow.amendments.open_for(s.id), str(uuid.uuid4())
    amendment, proposed = amendments.propose_amendment(
        s,
        caller,
        amendment_id,
        to_tier,
        catalogue.product(s.product),
        uow.now(),
        open_one,
        amendment_url(portal_url, s.id, amendment_id),
    )
    if open_one is not None:
        await uow.amendments.save(open_one)
        superseded = await uow.agreements.of_amendment(s.id, open_one.id)
        if superseded is not None:
            superseded.supersede()
            await uow.agreements.save(superseded)
    await uow.amendments.add(amendment)
    # R36: the amendment's agreement is fixed when it is proposed.
    await uow.agreements.add(agreements.for_amendment(s, proposed, await uow.agreements.next_number(s.id)))
    await uow.publish(proposed)
    return amendment


async def accept_amendment(
    subscription_id: str, amendment_id: str, caller: Caller, uow: SubscriptionsUnitOfWork, *, catalogue: Catalogue
) -> domain.Subscription:
    s = await uow.subscriptions.get(subscription_id, lock=True)
    s.ensure_administered_by(caller)  # a stranger learns nothing about the amendment either
    amendment = await uow.amendments.get(amendment_id)
    agreement = await uow.agreements.of_amendment(s.id, amendment.id)
    changed = amendments.accept_amendment(s, caller, amendment, catalogue.product(s.product), uow.now())
    await uow.publish(agreements.accepted(agreement, s, uow.now(), changed))
    await uow.subscriptions.save(s)
    await uow.amendments.save(amendment)
    if agreement is not None:
        await uow.agreements.save(agreement)
    return s


async def change_cycle(
    subscription_id: str, caller: Caller, to: BillingCycle, uow: SubscriptionsUnitOfWork
) -> domain.Subscription:
    return await _change(subscription_id, uow, lambda s: changes.schedule_cycle_change(s, caller, to, uow.now()))


async def transfer_administrator(
    subscription_id: str, caller: Caller, email: str, uow: SubscriptionsUnitOfWork
) -> domain.Subscription:
    """R17, R38: to a registered contact of the owning company, named by e-mail; the person
    id, name and language are identity's, as subscriptions learnt them."""
    s = await uow.subscriptions.get(subscription_id, lock=True)
    s.ensure_administered_by(caller)  # first: a stranger learns nothing of the company's contacts
    to = contacts.new_administrator(s.account_id, await uow.contacts.find(s.account_id, email))
    await uow.publish(changes.transfer_administrator(s, caller, to, uow.now()))
    await uow.subscriptions.save(s)
    return s


async def change_purchase_details(
    subscription_id: str,
    caller: Caller,
    po_number: str | None,
    payment_method: str | None,
    uow: SubscriptionsUnitOfWork,
) -> domain.Subscription:
    return await _change(
        subscription_id, uow, lambda s: changes.change_purchase_details(s, caller, po_number, payment_method, uow.now())
    )


async def add_addon(
    subscription_id: str, caller: Caller, addon: str, uow: SubscriptionsUnitOfWork, *, catalogue: Catalogue
) -> domain.Subscription:
    """R20, issue 15: refused while billing reports an invoice of the subscription unsettled."""
    unsettled = await uow.invoices.numbers_of(subscription_id)
    return await _change(
        subscription_id,
        uow,
        lambda s: changes.add_addon(
            s, caller, addon, catalogue.product(s.product), uow.now(), unsettled_invoices=unsettled
        ),
    )


async def record_quantity(event: SeatQuantityChanged, uow: SubscriptionsUnitOfWork) -> None:
    """The seats service owns the quantity in force; tier changes are priced on it (R12).
    Events of the seats topic arrive in order per subscription. Seats opens a pool only for a
    subscription this service published, so an event about one it never created, or naming
    another account, is forged or corrupt: it is dead-lettered (`inconsistent`), not applied."""
    s = await uow.subscriptions.find(event.subscription_id, lock=True)
    if s is None:
        raise InconsistentEvent(
            f"seats.quantity_changed for subscription {event.subscription_id}, which subscriptions never created"
        )
    if s.account_id != event.account_id:
        raise InconsistentEvent(
            f"seats.quantity_changed names account {event.account_id} for "
            f"subscription {s.id}, which belongs to account {s.account_id}"
        )
    if s.quantity != event.new_quantity:
        s.quantity = event.new_quantity
        await uow.subscriptions.save(s)


async def _change(
    subscription_id: str, uow: SubscriptionsUnitOfWork, change: Callable[[domain.Subscription], Event]
) -> domain.Subscription:
    s = await uow.subscriptions.get(subscription_id, lock=True)
    await uow.publish(change(s))
    await uow.subscriptions.save(s)
    return s
