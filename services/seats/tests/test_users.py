"""Users of a subscription: added and invited (R22), assigned within the quantity (R25),
invited again (R22), unassigned with a fallback (R24, R10), registered from identity."""

from __future__ import annotations

from datetime import timedelta

import pytest

from contracts.errors import RuleViolation
from contracts.identity import PersonRegistered
from contracts.testing import ADA, SUBSCRIPTION_ID
from contracts.values import Contact
from seats.domain.users import NewUser, UserStatus
from seats.handlers import pools, users

from .conftest import T0
from .test_handlers import active_pool, caller, command, ended, trial_started, types

IDENTITY = "https://id.example.com"
INVITATIONS = users.Invitations(IDENTITY)


def people(*names: str) -> list[NewUser]:
    return [NewUser(f"{n}@example.com", n.title(), "Tester") for n in names]


async def add(seats, new, assign=False, who=None):
    return await command(seats, users.add_users, SUBSCRIPTION_ID, new, assign, INVITATIONS, who or caller())


async def listed(seats):
    async with seats.uow() as uow:
        return {u.email: u for u in await uow.users.users_of(SUBSCRIPTION_ID)}


def registered(email: str, person_id: str = "p-new") -> PersonRegistered:
    return PersonRegistered(
        person=Contact(person_id=person_id, email=email, name="N"), terms_version="1", registered_at=T0
    )


async def test_R22_each_added_user_is_listed_as_invited_and_gets_an_invitation(seats):
    await active_pool(seats)
    added = await add(seats, people("ann", "bob"))
    invitations = [e for e in await seats.published() if e["type"] == "seats.user_invited"]
    assert [i["data"]["user"]["email"] for i in invitations] == ["ann@example.com", "bob@example.com"]
    assert invitations[0]["data"]["register_url"] == f"{IDENTITY}/people/registration?email=ann%40example.com"
    assert invitations[0]["data"]["resend"] is False
    assert invitations[0]["data"]["invited_by"]["person_id"] == ADA.person_id
    assert {u.status for u in added} == {UserStatus.INVITED}
    assert (await seats.pool(SUBSCRIPTION_ID)).assignments == []  # not asked to assign


async def test_R22_incomplete_or_duplicate_users_are_refused_and_nothing_is_added(seats):
    await active_pool(seats)
    await add(seats, people("ann"))
    bad = [
        NewUser("not-an-email", "X", "Y"),
        NewUser("bob@example.com", "", "Y"),
        NewUser("ANN@example.com", "Ann", "Again"),
    ]
    with pytest.raises(RuleViolation) as refused:
        await add(seats, bad)
    assert refused.value.rule == "R22" and "first name" in refused.value.message
    assert "already a user" in refused.value.message and "not a valid e-mail" in refused.value.message
    assert list(await listed(seats)) == ["ann@example.com"]


async def test_R25_seats_are_assigned_when_asked_only_if_enough_are_free(seats):
    await active_pool(seats, quantity=2)
    await add(seats, people("ann"), assign=True)
    assert "seats.seat_assigned" in types(await seats.published())
    with pytest.raises(RuleViolation) as refused:
        await add(seats, people("bob", "cat"), assign=True)
    assert refused.value.rule == "R25"
    assert list(await listed(seats)) == ["ann@example.com"]  # all or none
    await add(seats, people("bob"), assign=True)
    assert len((await seats.pool(SUBSCRIPTION_ID)).assignments) == 2


async def test_R22_a_registered_person_turns_invited_users_into_registered_ones(seats):
    await active_pool(seats)
    await add(seats, people("ann"))
    await seats.deliver(registered("Ann@Example.com", "p-ann"))
    ann = (await listed(seats))["ann@example.com"]
    assert (ann.status, ann.person_id) == (UserStatus.REGISTERED, "p-ann")
    await seats.deliver(registered("Ann@Example.com", "p-ann"))  # a replay changes nothing
    assert (await listed(seats))["ann@example.com"].person_id == "p-ann"


async def test_R22_a_person_registered_before_being_added_is_registered_at_once_without_invitation(seats):
    await active_pool(seats)
    await seats.deliver(registered("early@example.com", "p-early"))
    before = len(await seats.published())
    await add(seats, [NewUser("early@example.com", "Ea", "Rly")])
    assert (await listed(seats))["early@example.com"].status is UserStatus.REGISTERED
    assert (await seats.published())[before:] == []


async def test_R22_invitations_are_resent_by_list_by_filter_or_to_all_who_have_not_registered(seats):
    await active_pool(seats)
    _ann, bob, cat = await add(seats, people("ann", "bob", "cat"))
    await seats.deliver(registered("cat@example.com", "p-cat"))

    async def resend(**selection):
        before = len(await seats.published())
        await command(
            seats, users.resend_invitations, SUBSCRIPTION_ID, users.ResendSelection(**selection), INVITATIONS, caller()
        )
        sent = (await seats.published())[before:]
        assert all(e["data"]["resend"] for e in sent)
        return sorted(e["data"]["user"]["email"] for e in sent)

    assert await resend(everyone=True) == ["ann@example.com", "bob@example.com"]
    assert await resend(text="BO") == ["bob@example.com"]
    assert await resend(status=UserStatus.INVITED, text="ann") == ["ann@example.com"]
    assert await resend(user_ids=[bob.user_id]) == ["bob@example.com"]
    for selection in (dict(user_ids=[cat.user_id]), dict(status=UserStatus.REGISTERED), dict()):
        with pytest.raises(RuleViolation) as refused:
            await resend(**selection)
        assert refused.value.rule == "R22"


async def test_R24_unassigning_frees_the_seat_at_once_and_keeps_the_user_listed(seats):
    await active_pool(seats, quantity=1)
    [ann] = await add(seats, people("ann"), assign=True)
    await command(seats, users.unassign_users, SUBSCRIPTION_ID, [ann.user_id], caller())
    [event] = [e for e in await seats.published() if e["type"] == "seats.seat_unassigned"]
    assert (event["data"]["user"]["email"], event["data"]["fallback"]) == ("ann@example.com", "trial")
    assert (await seats.pool(SUBSCRIPTION_ID)).assignments == []
    assert "ann@example.com" in await listed(seats)
    await add(seats, people("bob"), assign=True)  # the freed seat is free again
    with pytest.raises(RuleViolation) as refused:
        await command(seats, users.unassign_users, SUBSCRIPTION_ID, [ann.user_id], caller())
    assert refused.value.rule == "R24"


async def test_R10_someone_who_had_a_trial_seat_falls_back_to_standard(seats):
    await seats.deliver(trial_started())
    await command(seats, pools.assign_seat, SUBSCRIPTION_ID, "trier@example.com", caller())
    [trier] = (await listed(seats)).values()
    await command(seats, users.unassign_users, SUBSCRIPTION_ID, [trier.user_id], caller())
    [event] = [e for e in await seats.published() if e["type"] == "seats.seat_unassigned"]
    assert event["data"]["fallback"] == "standard"


async def test_R22_the_first_assignment_route_lists_and_invites_a_new_user(seats):
    await active_pool(seats)
    assignment = await command(seats, pools.assign_seat, SUBSCRIPTION_ID, "Solo@Example.com", caller())
    assert assignment.email == "solo@example.com"
    assert types(await seats.published())[-2:] == ["seats.user_invited", "seats.seat_assigned"]
    assert (await listed(seats))["solo@example.com"].user_id == assignment.user_id


async def test_R28_no_user_can_be_added_once_the_subscription_ended(seats):
    await active_pool(seats)
    await seats.deliver(ended("terminated", at=T0 + timedelta(days=3)))
    with pytest.raises(RuleViolation) as refused:
        await add(seats, people("ann"))
    assert refused.value.rule == "R28"


# -- issue 11: routes that send e-mail are bounded ---------------------------------------------


async def test_R22_invitations_past_the_accounts_hourly_limit_are_refused_429_and_nothing_is_added(seats):
    await active_pool(seats)
    few = users.Invitations(IDENTITY, per_account_per_hour=3)
    await command(seats, users.add_users, SUBSCRIPTION_ID, people("ann", "bob"), False, few, caller())
    with pytest.raises(RuleViolation) as refused:
        await command(seats, users.add_users, SUBSCRIPTION_ID, people("cat", "dan"), False, few, caller())
    assert (refused.value.refusal.value, refused.value.code) == (
        "rate_limited",
        "invitation_emails_per_account_exceeded",
    )
    assert 0 < refused.value.retry_after_seconds <= 3600
    assert sorted(await listed(seats)) == ["ann@example.com", "bob@example.com"]
    with pytest.raises(RuleViolation):  # a resend counts too
        await command(
            seats, users.resend_invitations, SUBSCRIPTION_ID, users.ResendSelection(everyone=True), few, caller()
        )
    seats.clock.advance(timedelta(hours=1))
    await command(seats, users.add_users, SUBSCRIPTION_ID, people("cat", "dan"), False, few, caller())
    assert len(await listed(seats)) == 4


async def test_R22_a_resend_names_at_most_a_thousand_recipients(seats, monkeypatch):
    await active_pool(seats)
    await add(seats, people("ann", "bob", "cat"))
    monkeypatch.setattr(users, "MAX_RECIPIENTS_PER_REQUEST", 2)
    before = len(await seats.published())
    with pytest.raises(RuleViolation) as refused:
        await command(
            seats,
            users.resend_invitations,
            SUBSCRIPTION_ID,
            users.ResendSelection(everyone=True),
            INVITATIONS,
            caller(),
        )
    assert (refused.value.code, refused.value.refusal.value) == ("too_many_recipients", "invalid")
    assert len(await seats.published()) == before
