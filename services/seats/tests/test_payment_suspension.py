"""Issue 15, item 6: while billing suspends a subscription for an overdue invoice
(`billing.subscriptions_suspended`), none of its seats grants use of the product within the
suspended periods: the access answer is refused `payment_overdue`, no lease, heartbeat, device
activation or licence file is given. Nothing is revoked, so `billing.subscriptions_reinstated`
gives access back at once with the same seats. On SQLite and PostgreSQL."""

from __future__ import annotations

from datetime import date, datetime, timedelta

import pytest

from contracts import topics
from contracts.billing import SubscriptionsReinstated, SubscriptionsSuspended, SuspendedPeriod
from contracts.envelope import Envelope
from contracts.errors import RuleViolation
from contracts.testing import ACCOUNT_ID, ADA, SUBSCRIPTION_ID, SubscriptionStory, eur
from contracts.values import LicenceType
from seats.adapters.signing import EntitlementSigner
from seats.domain.access import Grant, decide
from seats.domain.suspensions import PAYMENT_OVERDUE, PaymentSuspension
from seats.domain.users import NewUser
from seats.handlers import devices, leases, users
from seats.handlers.access import check_access
from servicekit.http.auth import Caller

from .conftest import T0
from .test_access_callers import product_auth
from .test_handlers import INVITATIONS, TERM_END, activated, caller, command, purchased, story
from .test_routes import ADMINISTRATOR_CALLER

ANN = Caller(person_id="p-ann", account_id="ann-account", email="ann@example.com", session_id="s-ann")
PRODUCT_CLIENT = Caller(person_id="c-designer", account_id="", email="", product="designer")
SIGNER = EntitlementSigner.from_setting("")
OTHER_SUBSCRIPTION = "s-2"
SUSPENDED_AT = T0 + timedelta(days=45)  # the invoice of the first term, due in 30 days, unpaid
FINGERPRINT = "fp-4f1c2a9e7b3d"


@pytest.fixture
def seats(seats_on_each_database):
    return seats_on_each_database


def suspended(
    invoice_id: str = "inv-1",
    *periods: tuple[str, datetime, datetime],
    number: str | None = None,
    at: datetime = SUSPENDED_AT,
    account_id: str = ACCOUNT_ID,
) -> SubscriptionsSuspended:
    """Billing's suspension for `invoice_id`: by default the first term of the subscription."""
    return SubscriptionsSuspended(
        invoice_id=invoice_id,
        number=number or f"INV-2026-{invoice_id[-1]:0>6}",
        account_id=account_id,
        suspended_at=at,
        due_on=date(2026, 2, 4),
        open_amount=eur(109500),
        periods=[
            SuspendedPeriod(subscription_id=s, start=start, end=end)
            for s, start, end in (periods or ((SUBSCRIPTION_ID, T0, TERM_END),))
        ],
        administrator=ADA,
        language="en",
        url=f"https://billing.example.com/invoices/{invoice_id}",
    )


def reinstated(invoice_id: str = "inv-1", *subscription_ids: str, why: str = "paid") -> SubscriptionsReinstated:
    return SubscriptionsReinstated(
        invoice_id=invoice_id,
        number=f"INV-2026-{invoice_id[-1]:0>6}",
        account_id=ACCOUNT_ID,
        reinstated_at=SUSPENDED_AT + timedelta(days=2),
        subscription_ids=list(subscription_ids or (SUBSCRIPTION_ID,)),
        why=why,
        administrator=ADA,
        language="en",
    )


async def pool_with_ann(seats, subscription_id: str = SUBSCRIPTION_ID, tier: str = "premium", **plan) -> None:
    """A pool of 3 seats of Designer, unlocked at T0, with Ann assigned; the clock at the suspension."""
    told = SubscriptionStory(subscription_id=subscription_id, quantity=3, tier=tier, **plan)
    await seats.deliver(told.purchased(), told.activated())
    new = [NewUser(ANN.email, "Ann", "Tester")]
    await command(seats, users.add_users, subscription_id, new, True, INVITATIONS, caller())
    seats.clock.set(SUSPENDED_AT)


async def access(seats, asker: Caller = PRODUCT_CLIENT, **who):
    who = who or {"email": ANN.email}
    async with seats.uow() as uow:
        return await check_access(uow, "designer", seats.clock.now(), asker, signer=SIGNER, signed=True, **who)


async def kept(seats, invoice_id: str = "inv-1") -> list[PaymentSuspension]:
    async with seats.uow() as uow:
        return await uow.payment_suspensions.of_invoice(invoice_id)


async def pool_view(seats) -> dict:
    """`GET /subscriptions/{id}/seats` as its administrator, signed in now."""
    async with seats.client(ADMINISTRATOR_CALLER) as http:
        answer = await http.get(f"/subscriptions/{SUBSCRIPTION_ID}/seats")
    assert answer.status_code == 200, answer.text
    return answer.json()


async def online_check(seats) -> dict:
    """`GET /access?device_id=` as the product's backend asks it."""
    async with seats.client() as http:
        answer = await http.get(
            "/access", params={"product": "designer", "device_id": FINGERPRINT}, headers=product_auth(seats)
        )
    assert answer.status_code == 200, answer.text
    return answer.json()


async def refused(attempt) -> RuleViolation:
    with pytest.raises(RuleViolation) as refusal:
        await attempt
    return refusal.value


async def test_issue_15_a_suspended_seat_is_refused_payment_overdue_and_stays_assigned(seats):
    await pool_with_ann(seats)
    assert (await access(seats)).allowed is True
    assert await seats.deliver(suspended()) == []  # nothing revoked, nothing told
    for asker in (PRODUCT_CLIENT, ANN, ADMINISTRATOR_CALLER):  # whoever may learn of her seat
        answer = await access(seats, asker)
        assert (answer.allowed, answer.reason, answer.subscription_id, answer.entitlement) == (
            False,
            PAYMENT_OVERDUE,
            SUBSCRIPTION_ID,
            None,
        ), asker
    stranger = Caller(person_id="p-eve", account_id="eve-account", email="eve@example.com")
    probed = await access(seats, stranger)  # no oracle: answered as about nobody
    assert (probed.allowed, probed.reason != PAYMENT_OVERDUE, probed.subscription_id) == (False, True, None)
    pool = await seats.pool(SUBSCRIPTION_ID)
    assert pool is not None and [a.email for a in pool.assignments] == [ANN.email]  # nothing revoked


async def test_issue_15_a_period_not_covering_now_allows_access_and_signs_no_further_than_its_start(seats):
    """The previous term (unpaid, but over) and the next term (not started) do not suspend now;
    the entitlement signed now ends where the suspended period starts."""
    await pool_with_ann(seats)
    next_term_start = SUSPENDED_AT + timedelta(days=3)
    await seats.deliver(
        suspended(
            "inv-1",
            (SUBSCRIPTION_ID, T0 - timedelta(days=365), T0),
            (SUBSCRIPTION_ID, next_term_start, next_term_start + timedelta(days=365)),
        )
    )
    answer = await access(seats)
    assert (answer.allowed, answer.subscription_id) == (True, SUBSCRIPTION_ID)
    assert answer.not_after == next_term_start  # not 7 days ahead: the offline allowance stops there
    claims = SIGNER.verify(answer.entitlement, seats.clock.now().timestamp())
    assert claims["exp"] == int(next_term_start.timestamp())
    seats.clock.set(next_term_start)  # start <= now: suspended
    assert (await access(seats)).reason == PAYMENT_OVERDUE
    seats.clock.set(next_term_start - timedelta(microseconds=1))
    assert (await access(seats)).allowed is True


async def test_issue_15_reinstated_gives_access_back_at_once_with_the_same_assignment(seats):
    await pool_with_ann(seats)
    before = (await seats.pool(SUBSCRIPTION_ID)).assignments
    await seats.deliver(suspended())
    assert (await access(seats)).reason == PAYMENT_OVERDUE
    await seats.deliver(reinstated(why="paid"))
    answer = await access(seats)
    assert (answer.allowed, answer.licence_type, answer.subscription_id) == (True, "named_user", SUBSCRIPTION_ID)
    assert (await seats.pool(SUBSCRIPTION_ID)).assignments == before
    assert await kept(seats) == []


async def test_issue_15_two_invoices_suspend_at_once_and_lifting_one_leaves_the_other(seats):
    """Two unpaid invoices (the term, and an increase charged for part of it): each suspends;
    the one paid first lifts its own periods only."""
    await pool_with_ann(seats)
    await seats.deliver(suspended("inv-1"))
    await seats.deliver(
        suspended("inv-2", (SUBSCRIPTION_ID, T0 + timedelta(days=20), TERM_END), at=SUSPENDED_AT + timedelta(hours=1))
    )
    assert [len(await kept(seats, i)) for i in ("inv-1", "inv-2")] == [1, 1]
    assert (await pool_view(seats))["payment_overdue"]["invoice_id"] == "inv-1"  # the first suspended
    await seats.deliver(reinstated("inv-1"))
    assert (await access(seats)).reason == PAYMENT_OVERDUE
    assert (await pool_view(seats))["payment_overdue"]["invoice_id"] == "inv-2"
    await seats.deliver(reinstated("inv-2"))
    assert (await access(seats)).allowed is True
    assert (await pool_view(seats))["payment_overdue"] is None


async def test_issue_15_the_same_suspension_told_twice_is_kept_once_and_an_unknown_reinstatement_is_a_no_op(seats):
    await pool_with_ann(seats)
    event = suspended()
    envelope = Envelope.wrap(event, source="billing", time=SUSPENDED_AT)
    await seats.deliver(envelope)
    await seats.deliver(envelope)  # redelivered: the inbox drops it
    await seats.deliver(suspended())  # told again as a new event: the period is already kept
    assert [(s.subscription_id, s.start, s.end, s.number) for s in await kept(seats)] == [
        (SUBSCRIPTION_ID, T0, TERM_END, "INV-2026-000001")
    ]
    await seats.deliver(reinstated("inv-9"))  # never suspended
    assert len(await kept(seats)) == 1 and (await access(seats)).reason == PAYMENT_OVERDUE
    assert seats.dead_letters == []


async def test_issue_15_another_subscription_still_granting_the_product_answers(seats):
    """Ann holds seats of two subscriptions of Designer; the better one is suspended, so the
    other answers: she is not locked out by an unrelated unpaid invoice."""
    await pool_with_ann(seats, tier="premium")
    await pool_with_ann(seats, OTHER_SUBSCRIPTION, tier="standard")
    assert (await access(seats)).subscription_id == SUBSCRIPTION_ID  # the best tier
    await seats.deliver(suspended())
    answer = await access(seats)
    assert (answer.allowed, answer.subscription_id, answer.tier) == (True, OTHER_SUBSCRIPTION, "standard")
    claims = SIGNER.verify(answer.entitlement, seats.clock.now().timestamp())
    assert claims["subscription_id"] == OTHER_SUBSCRIPTION
    await seats.deliver(suspended("inv-2", (OTHER_SUBSCRIPTION, T0, TERM_END)))
    assert (await access(seats)).reason == PAYMENT_OVERDUE


async def test_issue_15_the_pool_view_names_the_overdue_invoice_for_the_banner(seats):
    await pool_with_ann(seats)
    assert (await pool_view(seats))["payment_overdue"] is None
    await seats.deliver(suspended())
    view = await pool_view(seats)
    overdue = view["payment_overdue"]
    assert (overdue["invoice_id"], overdue["number"]) == ("inv-1", "INV-2026-000001")
    assert datetime.fromisoformat(overdue["suspended_at"]) == SUSPENDED_AT
    assert view["assigned"] == 1
    seats.clock.set(TERM_END)  # the next term, not suspended
    assert (await pool_view(seats))["payment_overdue"] is None
    seats.clock.set(SUSPENDED_AT)
    await seats.deliver(reinstated(why="void"))
    assert (await pool_view(seats))["payment_overdue"] is None


async def test_issue_15_no_lease_nor_heartbeat_while_suspended_and_the_lease_revives_once_paid(seats):
    floating = {"licence_type": LicenceType.FLOATING}
    await seats.deliver(purchased(2).model_copy(update=floating), activated(2).model_copy(update=floating))
    await command(
        seats, users.add_users, SUBSCRIPTION_ID, [NewUser(ANN.email, "Ann", "T")], True, INVITATIONS, caller()
    )
    seats.clock.set(SUSPENDED_AT)
    lease = await command(seats, leases.acquire, SUBSCRIPTION_ID, ANN, "s-ann")
    await seats.deliver(suspended())
    for attempt in (
        command(seats, leases.acquire, SUBSCRIPTION_ID, ANN, "s-ann"),
        command(seats, leases.acquire_for_product, "designer", ANN, "s-ann"),
        command(seats, leases.heartbeat, lease.lease_id, ANN),
        command(seats, leases.borrow, lease.lease_id, SUSPENDED_AT + timedelta(days=1), ANN),
    ):
        refusal = await refused(attempt)
        assert (refusal.code, refusal.refusal.value) == (PAYMENT_OVERDUE, "forbidden")
    assert (await access(seats, user_id=ANN.person_id)).reason == PAYMENT_OVERDUE  # the live lease grants nothing
    seats.clock.advance(timedelta(minutes=90))  # lapsed, within its revive window
    assert (await refused(command(seats, leases.heartbeat, lease.lease_id, ANN))).code == PAYMENT_OVERDUE
    await seats.deliver(reinstated())
    revived = await command(seats, leases.heartbeat, lease.lease_id, ANN)
    assert revived.lease_id == lease.lease_id and revived.expires_at == seats.clock.now() + timedelta(hours=1)
    assert (await access(seats, user_id=ANN.person_id)).licence_type == "floating"


async def test_issue_15_taking_a_lease_of_a_product_skips_the_suspended_pool(seats):
    floating = {"licence_type": LicenceType.FLOATING}
    await pool_with_ann(seats, tier="premium", **floating)
    await pool_with_ann(seats, OTHER_SUBSCRIPTION, tier="standard", **floating)
    await seats.deliver(suspended())
    lease = await command(seats, leases.acquire_for_product, "designer", ANN, "s-ann")
    assert lease.subscription_id == OTHER_SUBSCRIPTION


async def test_issue_15_no_device_activation_nor_licence_file_while_suspended(seats):
    node_locked = {"licence_type": LicenceType.NODE_LOCKED}
    await pool_with_ann(seats, **node_locked)
    key, spare, _ = await command(seats, devices.list_keys, SUBSCRIPTION_ID, caller())
    async with seats.client(ANN) as http:
        issued = await http.post("/licence-files", json={"key": key.key_id, "fingerprint": FINGERPRINT})
        assert issued.status_code == 200, issued.text
        await seats.deliver(suspended())
        again = await http.post("/licence-files", json={"key": key.key_id, "fingerprint": FINGERPRINT})
        assert (again.status_code, again.json()["code"]) == (403, PAYMENT_OVERDUE), again.text
        other = await http.post("/licence-files", json={"key": spare.key_id, "fingerprint": "fp-other-device"})
        assert (other.status_code, other.json()["code"]) == (403, PAYMENT_OVERDUE), other.text
    refusal = await refused(
        command(seats, devices.activate, SUBSCRIPTION_ID, spare.key_id, "dev-b", "Ann's laptop", ANN)
    )
    assert refusal.code == PAYMENT_OVERDUE
    online = await online_check(seats)  # the product's, over HTTP (a read-only unit of work)
    assert (online["allowed"], online["reason"], online["subscription_id"]) == (False, PAYMENT_OVERDUE, SUBSCRIPTION_ID)
    keys = await command(seats, devices.list_keys, SUBSCRIPTION_ID, caller())
    assert [k.device_id for k in keys if k.is_active] == [FINGERPRINT]  # still active: nothing revoked
    await seats.deliver(reinstated())
    assert (await online_check(seats))["licence_type"] == "node_locked"


async def test_issue_15_billing_events_without_a_handler_are_skipped_not_dead_lettered(seats):
    """Seats reads billing's topic for the two events of issue 15; the invoices and payments on
    it are skipped and committed past, never dead-lettered."""
    assert topics.BILLING_EVENTS.name in seats.runtime.consumers[0].topics
    await pool_with_ann(seats)
    told = story()
    told.purchased(), told.activated()
    assert await seats.deliver(told.invoice_issued()) == []
    assert seats.dead_letters == [] and (await access(seats)).allowed is True


async def test_issue_15_a_suspension_naming_another_account_is_dead_lettered_and_kept_nowhere(seats):
    await pool_with_ann(seats)
    await seats.deliver(suspended(account_id="a-other"))
    assert seats.dead_letter_reasons == ["inconsistent"]
    assert await kept(seats) == [] and (await access(seats)).allowed is True


def test_issue_15_the_access_rule_refuses_only_a_seat_whose_suspended_period_covers_now():
    """Pure: grants, suspensions and now in; the answer out."""
    premium = Grant("s-1", "premium", "named_user", "named seat assigned")
    standard = Grant("s-2", "standard", "named_user", "named seat assigned")
    period = PaymentSuspension("inv-1", "s-1", T0, TERM_END, SUSPENDED_AT, "INV-2026-000001")
    assert decide([premium], "designer", [period], T0 - timedelta(seconds=1)).allowed is True
    refused_now = decide([premium], "designer", [period], T0)
    assert (refused_now.allowed, refused_now.reason, refused_now.suspension) == (False, PAYMENT_OVERDUE, period)
    assert decide([premium], "designer", [period], TERM_END).allowed is True  # end is not covered
    assert decide([premium, standard], "designer", [period], SUSPENDED_AT).subscription_id == "s-2"
    assert decide([], "designer", [period], SUSPENDED_AT).reason != PAYMENT_OVERDUE  # no seat: as nobody
