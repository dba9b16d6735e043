"""R38: when administration is transferred, the previous administrator loses at once any seat,
floating seat and key they held in that subscription (and only that one), each with its event
saying `transferred`, unless they are the new administrator; the new one may assign them again."""

from __future__ import annotations

from contracts.testing import ACCOUNT_ID, ADA, BOB, UMA, SubscriptionStory
from contracts.values import LicenceType
from seats.domain.users import NewUser
from seats.handlers import devices, leases, pools, users
from servicekit.http.auth import Caller

from .test_handlers import INVITATIONS, command
from .test_R41_licence_email import seats_on_both_databases  # noqa: F401 - the `seats` fixture, on both

AS_ADA = Caller(person_id=ADA.person_id, account_id=ACCOUNT_ID, email=ADA.email, session_id="s-ada")


async def pool_where_ada_holds_a_seat(seats, licence: LicenceType, sid: str = "s-1") -> SubscriptionStory:
    story = SubscriptionStory(subscription_id=sid, licence_type=licence, quantity=3)
    await seats.deliver(story.purchased(), story.activated())
    admin = Caller(person_id=ADA.person_id, account_id=story.account_id, email=ADA.email)
    new = [NewUser(p.email, p.name or "X", "Tester") for p in (ADA, UMA)]
    await command(seats, users.add_users, sid, new, True, INVITATIONS, admin)
    return story


def of_type(events: list[dict], kind: str) -> list[dict]:
    return [e["data"] for e in events if e["type"] == kind]


async def test_R38_the_previous_administrator_loses_their_named_seat_and_may_be_assigned_again(seats):
    story = await pool_where_ada_holds_a_seat(seats, LicenceType.NAMED_USER)
    published = await seats.deliver(story.administrator_transferred(to=BOB))
    [lost] = of_type(published, "seats.seat_unassigned")
    assert lost["user"]["email"] == ADA.email
    pool = await seats.pool("s-1")
    assert [a.email for a in pool.assignments] == [UMA.email]  # the others keep theirs
    new_admin = Caller(person_id=BOB.person_id, account_id=story.account_id, email=BOB.email)
    assert (await command(seats, pools.assign_seat, "s-1", ADA.email, new_admin)).email == ADA.email


async def test_R38_their_floating_seat_is_taken_back_with_the_reason_transferred(seats):
    story = await pool_where_ada_holds_a_seat(seats, LicenceType.FLOATING)
    lease = await command(seats, leases.acquire, "s-1", AS_ADA, "s-ada")
    published = await seats.deliver(story.administrator_transferred(to=BOB))
    [revoked] = of_type(published, "seats.lease_revoked")
    assert (revoked["lease_id"], revoked["person_id"]) == (lease.lease_id, ADA.person_id)
    assert revoked["reason"] == "transferred"


async def test_R38_their_active_key_is_deactivated_and_their_kept_key_freed_in_that_subscription_only(seats):
    story = await pool_where_ada_holds_a_seat(seats, LicenceType.NODE_LOCKED)
    other = await pool_where_ada_holds_a_seat(seats, LicenceType.NODE_LOCKED, sid="s-2")
    kept = {}
    for sid in ("s-1", "s-2"):
        async with seats.uow() as uow:
            [ada_user] = [u for u in await uow.users.users_of(sid) if u.email == ADA.email]
            kept[sid] = await uow.kept_keys.kept_for(sid, ada_user.user_id)
        await command(seats, devices.activate, sid, kept[sid], f"dev-{sid}", "Ada's", AS_ADA)

    published = await seats.deliver(story.administrator_transferred(to=BOB))

    [gone] = of_type(published, "seats.device_deactivated")
    assert (gone["subscription_id"], gone["key_id"], gone["reason"]) == ("s-1", kept["s-1"], "transferred")
    async with seats.uow() as uow:
        assert await uow.kept_keys.keeper_of("s-1", kept["s-1"]) is None
        assert await uow.kept_keys.keeper_of("s-2", kept["s-2"]) is not None
        assert [k.device_id for k in await uow.keys.held_by("s-2", ADA.person_id, ADA.email)] == ["dev-s-2"]
    assert ADA.email in [a.email for a in (await seats.pool(other.subscription_id)).assignments]


async def test_R38_a_transfer_from_someone_who_holds_nothing_takes_nothing(seats):
    story = SubscriptionStory(licence_type=LicenceType.FLOATING, quantity=2)
    await seats.deliver(story.purchased(), story.activated())
    published = await seats.deliver(story.administrator_transferred(to=BOB))
    assert [e["type"] for e in published] == []
    assert (await seats.pool(story.subscription_id)).administrator.person_id == BOB.person_id
