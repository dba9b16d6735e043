"""R43 (R10): after a trial falls back, or a seat is revoked, a person keeps the free Standard
tier (or may start a trial if they never had one), and the access answer says so. On SQLite and
PostgreSQL."""

from __future__ import annotations

import uuid
from datetime import timedelta

import pytest

from contracts.testing import ADA, SUBSCRIPTION_ID
from devkit.testsupport import BACKENDS, require_postgres
from seats.adapters.signing import EntitlementSigner
from seats.app import build
from seats.domain.entitlements import FALLBACK_STANDARD, FALLBACK_TRIAL, Fallback
from seats.domain.users import NewUser
from seats.handlers import users
from seats.handlers.access import check_access
from seats.settings import SeatsSettings
from servicekit.clock import FixedClock
from servicekit.http.auth import Caller

from .conftest import T0, SeatsDriver
from .test_devices_access import ANN, BOB
from .test_handlers import INVITATIONS, activated, caller, command, purchased, story

PRODUCT_CLIENT = Caller(person_id="c-designer", account_id="", email="", product="designer")
SIGNER = EntitlementSigner.from_setting("")


@pytest.fixture(params=BACKENDS)
async def backend(request, tmp_path):
    url = f"sqlite:///{tmp_path}/seats.db" if request.param == "sqlite" else require_postgres()
    settings = SeatsSettings(database_url=url, db_schema=f"seats_{uuid.uuid4().hex[:8]}")
    driver = await SeatsDriver.start(build(settings, clock=FixedClock(T0)))
    yield driver
    await driver.runtime.db.drop_schema()
    await driver.close()


async def access(seats, asker: Caller, **who):
    async with seats.uow() as uow:
        return await check_access(uow, "designer", seats.clock.now(), asker, signer=SIGNER, signed=True, **who)


async def add(seats, *people: Caller, assign: bool = True):
    new = [NewUser(p.email, p.email[:3].title(), "Tester") for p in people]
    return await command(seats, users.add_users, SUBSCRIPTION_ID, new, assign, INVITATIONS, caller())


async def test_R43_after_a_trial_falls_back_its_administrator_and_users_keep_free_standard(backend):
    seats = backend
    trial = story()
    await seats.deliver(trial.trial_started())
    await add(seats, ANN)
    assert (await access(seats, ANN, email=ANN.email)).licence_type == "named_user"  # the trial's seat
    seats.clock.advance(timedelta(days=30))
    await seats.deliver(trial.trial_ended(), trial.ended(reason="trial_ended"))
    for who, asker in ((ANN, ANN), (ANN, PRODUCT_CLIENT), (caller(), caller())):
        answer = await access(seats, asker, email=who.email)
        assert (answer.allowed, answer.tier, answer.licence_type, answer.fallback, answer.subscription_id) == (
            True,
            "standard",
            "free",
            FALLBACK_STANDARD,
            None,
        ), who
        claims = SIGNER.verify(answer.entitlement, seats.clock.now().timestamp())
        assert (claims["licence_type"], claims["subscription_id"], claims["email"]) == ("free", None, who.email)
        assert claims["exp"] == int((seats.clock.now() + timedelta(days=7)).timestamp())
    by_id = await access(seats, caller(), user_id=ADA.person_id)  # the administrator, by person id
    assert (by_id.allowed, by_id.fallback) == (True, FALLBACK_STANDARD)
    stranger = Caller(person_id="p-eve", account_id="eve-account", email="eve@example.com")
    probed = await access(seats, stranger, email=ANN.email)  # nobody else learns of it
    assert (probed.allowed, probed.fallback) == (False, None)


async def test_R43_a_revoked_seat_falls_back_to_a_trial_if_they_never_had_one_else_standard(backend):
    seats = backend
    await seats.deliver(purchased(3), activated(3))
    listed = await add(seats, ANN, BOB)
    async with seats.uow() as uow:  # Bob once held a trial seat (R10)
        await uow.users.remember_trial_seat(BOB.email, T0)
        await uow.commit()
    await command(seats, users.unassign_users, SUBSCRIPTION_ID, [u.user_id for u in listed], caller())
    ann = await access(seats, PRODUCT_CLIENT, email=ANN.email)
    assert (ann.allowed, ann.fallback, ann.entitlement) == (False, FALLBACK_TRIAL, None)
    assert "may start the free trial" in ann.reason
    bob = await access(seats, PRODUCT_CLIENT, email=BOB.email)
    assert (bob.allowed, bob.tier, bob.licence_type, bob.fallback) == (True, "standard", "free", FALLBACK_STANDARD)
    assigned_again = await command(seats, users.assign_users, SUBSCRIPTION_ID, [listed[0].user_id], caller())
    assert assigned_again and (await access(seats, PRODUCT_CLIENT, email=ANN.email)).licence_type == "named_user"


def test_R43_standard_once_kept_is_never_taken_back_by_a_later_trial_fallback():
    standard = Fallback("ann@example.com", "designer", FALLBACK_STANDARD, "standard", "s-1", T0, "p-ann")
    trial = Fallback("ann@example.com", "designer", FALLBACK_TRIAL, "standard", "s-2", T0, None)
    assert trial.keeps(standard) == standard
    assert standard.keeps(trial) == standard
    assert (
        Fallback("ann@example.com", "designer", FALLBACK_STANDARD, "standard", "s-3", T0).keeps(standard).person_id
        == "p-ann"
    )
