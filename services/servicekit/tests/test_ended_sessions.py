"""Signing out counts in every service (issue 11, item 11), built in the kit.

Each service's first consumer group records `identity.signed_out` in `ended_sessions`, next to
the service's own handler of it (seats releases leases), in one transaction; the caller
dependency then refuses the session's tokens. SQLite and PostgreSQL.
"""

from __future__ import annotations

import time
from dataclasses import replace
from datetime import UTC, datetime, timedelta

import httpx
import pytest
from aiokafka import ConsumerRecord
from fastapi import APIRouter
from sqlalchemy import MetaData, func, insert, select

from contracts.envelope import Envelope
from contracts.errors import RuleViolation
from contracts.identity import AccountRegistered, SignedOut
from contracts.topics import IDENTITY_EVENTS, SUBSCRIPTIONS_EVENTS
from servicekit.app import service_app
from servicekit.clock import FixedClock
from servicekit.http.auth import Caller, issue_token
from servicekit.http.deps import CurrentCaller
from servicekit.http.sessions import EndedSessions
from servicekit.migrations import migrate_database
from servicekit.runtime import ServiceRuntime
from servicekit.settings import ServiceSettings
from servicekit.store.tables import ended_sessions, rate_counters

NOW = datetime(2026, 1, 5, 9, 0, tzinfo=UTC)
SECRET = "s" * 40
ADA = Caller("p-ada", "a-1", "ada@example.com", session_id="session-1")


def runtime_of(url: str, schema: str, name: str = "test") -> ServiceRuntime:
    settings = ServiceSettings(
        service_name=name,
        database_url=url,
        db_schema=schema,
        token_secret=SECRET,
        consumer_max_attempts=1,
        consumer_backoff_seconds=0.001,
    )
    return ServiceRuntime(settings, MetaData(), clock=FixedClock(NOW))


@pytest.fixture
async def runtime(database_target, monkeypatch):
    runtime = runtime_of(*database_target)
    await migrate_database(runtime.db, "servicekit")

    async def no_broker(*_args, **_kwargs) -> None:  # dead letters go nowhere
        pass

    monkeypatch.setattr(runtime.broker, "publish", no_broker)
    yield runtime
    await runtime.db.drop_schema()
    await runtime.db.dispose()


def signed_out(session_id: str = "session-1", at: datetime = NOW) -> SignedOut:
    return SignedOut(person_id="p-ada", account_id="a-1", session_id=session_id, signed_out_at=at)


def record(event, offset: int = 0) -> ConsumerRecord:
    body = Envelope.wrap(event, source="identity", time=NOW).to_json()
    return ConsumerRecord(
        topic=IDENTITY_EVENTS.name,
        partition=0,
        offset=offset,
        timestamp=0,
        timestamp_type=0,
        key=b"p-ada",
        value=body,
        checksum=None,
        serialized_key_size=5,
        serialized_value_size=len(body),
        headers=[],
    )


def http(runtime: ServiceRuntime) -> httpx.AsyncClient:
    router = APIRouter()

    @router.get("/mine")
    async def mine(caller: CurrentCaller) -> dict:
        return {"person_id": caller.person_id}

    app = service_app(runtime, router, title="kit", description="sessions test")
    return httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://kit")


def with_sessions_on_a_test_clock(runtime: ServiceRuntime, ticks: list[float]) -> None:
    """Ended sessions whose one-second trust runs on `ticks`, not on the monotonic clock."""
    runtime.ended_sessions = EndedSessions(runtime.db, timedelta(hours=1), monotonic=lambda: ticks[0])
    runtime.authenticator = replace(runtime.authenticator, ended_sessions=runtime.ended_sessions)


def bearer(caller: Caller = ADA) -> dict[str, str]:
    return {"Authorization": f"Bearer {issue_token(SECRET, caller, NOW, timedelta(hours=1))}"}


async def rows(runtime: ServiceRuntime, table) -> int:
    async with runtime.db.connect() as conn:
        return (await conn.execute(select(func.count()).select_from(table))).scalar_one()


async def test_R26_a_signed_out_sessions_token_is_refused_and_other_sessions_still_work(runtime):
    consumer = runtime.consumer("test")
    consumer.attach(SUBSCRIPTIONS_EVENTS)
    async with http(runtime) as client:
        assert (await client.get("/mine", headers=bearer())).status_code == 200
        await consumer.process_batch([record(signed_out())])
        refused = await client.get("/mine", headers=bearer())
        other = await client.get(
            "/mine", headers=bearer(Caller("p-ada", "a-1", "ada@example.com", session_id="session-2"))
        )
    assert (refused.status_code, refused.json()["code"]) == (401, "unauthenticated")
    assert "signed out" in refused.json()["message"] and "expired" not in refused.json()["message"]
    assert other.status_code == 200


async def test_the_kit_handler_and_the_services_own_run_in_one_transaction(runtime):
    released = []

    async def release_leases(event: SignedOut, uow) -> None:  # what seats does with the same event
        released.append(event.session_id)
        if event.session_id == "refused":
            raise RuleViolation("refused", "No.")

    consumer = runtime.consumer("test")
    consumer.on(SignedOut, release_leases)
    consumer.attach(SUBSCRIPTIONS_EVENTS)

    await consumer.process_batch([record(signed_out("session-1"), 0), record(signed_out("refused"), 1)])

    assert released.count("session-1") >= 1 and consumer.processed == 1 and consumer.dead_lettered == 1
    async with runtime.db.connect() as conn:
        ended = (await conn.execute(select(ended_sessions.c.session_id))).scalars().all()
    assert ended == ["session-1"]  # the refused event's row rolled back with the service's handler


def test_a_second_model_for_one_event_type_is_a_wiring_error(tmp_path):
    runtime = runtime_of(f"sqlite:///{tmp_path}/kit.db", "kit")
    consumer = runtime.consumer("test")

    class Impostor(AccountRegistered):
        type = SignedOut.type

    with pytest.raises(ValueError, match="already handled as SignedOut"):
        consumer.on(Impostor, lambda event, uow: None)


def test_the_first_consumer_group_also_reads_identitys_events_and_identity_does_not_follow_itself(tmp_path):
    runtime = runtime_of(f"sqlite:///{tmp_path}/kit.db", "kit")
    first, second = runtime.consumer("test"), runtime.consumer("other")
    first.attach(SUBSCRIPTIONS_EVENTS)
    second.attach(SUBSCRIPTIONS_EVENTS)
    assert first.topics == [SUBSCRIPTIONS_EVENTS.name, IDENTITY_EVENTS.name]
    assert second.topics == [SUBSCRIPTIONS_EVENTS.name]
    [subscriber] = [s for s in runtime.broker.subscribers if IDENTITY_EVENTS.name in s.topic_names]
    assert set(subscriber.topic_names) == {SUBSCRIPTIONS_EVENTS.name, IDENTITY_EVENTS.name}

    seats_like = runtime_of(f"sqlite:///{tmp_path}/seats.db", "seats", name="seats-like").consumer("seats-like")
    seats_like.attach(SUBSCRIPTIONS_EVENTS, IDENTITY_EVENTS)  # already read: not twice
    assert seats_like.topics == [SUBSCRIPTIONS_EVENTS.name, IDENTITY_EVENTS.name]

    identity = runtime_of(f"sqlite:///{tmp_path}/identity.db", "identity", name="identity")
    assert identity.ended_sessions is None
    own = identity.consumer("identity")
    own.attach(SUBSCRIPTIONS_EVENTS)
    assert own.topics == [SUBSCRIPTIONS_EVENTS.name]


async def test_another_replica_refuses_the_token_once_its_look_up_is_due(runtime, database_target):
    consumer = runtime.consumer("test")
    consumer.attach(SUBSCRIPTIONS_EVENTS)
    replica = runtime_of(*database_target)  # consumes nothing of it: another process of the service
    ticks = [0.0]
    with_sessions_on_a_test_clock(replica, ticks)
    async with http(replica) as client:
        assert (await client.get("/mine", headers=bearer())).status_code == 200
        await consumer.process_batch([record(signed_out())])
        assert (await client.get("/mine", headers=bearer())).status_code == 200  # trusted for a second
        ticks[0] += 1.0
        assert (await client.get("/mine", headers=bearer())).status_code == 401
    await replica.db.dispose()


async def test_an_open_session_costs_one_look_up_a_second_not_one_a_request(runtime):
    ticks = [0.0]
    with_sessions_on_a_test_clock(runtime, ticks)
    async with http(runtime) as client:
        for _ in range(50):
            assert (await client.get("/mine", headers=bearer())).status_code == 200
        ticks[0] += 1.5
        assert (await client.get("/mine", headers=bearer())).status_code == 200
    assert runtime.ended_sessions.lookups == 2


async def test_a_sign_out_older_than_the_longest_token_lifetime_is_not_recorded(runtime):
    consumer = runtime.consumer("test")
    consumer.attach(SUBSCRIPTIONS_EVENTS)
    await consumer.process_batch(
        [
            record(signed_out("old", NOW - timedelta(hours=2)), 0),
            record(signed_out("recent", NOW - timedelta(minutes=5)), 1),
            record(signed_out("recent", NOW - timedelta(minutes=5)), 2),
        ]
    )  # a replay
    async with runtime.db.connect() as conn:
        assert (await conn.execute(select(ended_sessions.c.session_id))).scalars().all() == ["recent"]


async def test_housekeeping_forgets_ended_sessions_and_rate_windows_that_no_longer_matter(runtime):
    async with runtime.db.engine.begin() as conn:
        await conn.execute(
            insert(ended_sessions),
            [
                {"session_id": "long-ago", "person_id": "p", "ended_at": NOW - timedelta(hours=1, seconds=1)},
                {"session_id": "just-now", "person_id": "p", "ended_at": NOW - timedelta(minutes=1)},
            ],
        )
        await conn.execute(
            insert(rate_counters),
            [
                {"bucket": "x:old", "window_start": NOW - timedelta(days=3), "count": 1},
                {"bucket": "x:new", "window_start": NOW - timedelta(minutes=1), "count": 1},
            ],
        )
    await runtime.housekeeping()
    async with runtime.db.connect() as conn:
        assert (await conn.execute(select(ended_sessions.c.session_id))).scalars().all() == ["just-now"]
        assert (await conn.execute(select(rate_counters.c.bucket))).scalars().all() == ["x:new"]


async def test_measure_the_cost_of_the_check(runtime, capsys):
    """Not an assertion on speed (the machine is shared): prints what a check costs."""
    sessions = EndedSessions(runtime.db, timedelta(hours=1), monotonic=lambda: 0.0)  # the window never ends
    started = time.perf_counter()
    for i in range(200):
        await sessions.is_ended(f"s-{i}")  # each one a look-up
    looked_up = (time.perf_counter() - started) / 200
    started = time.perf_counter()
    for i in range(200):
        await sessions.is_ended(f"s-{i}")  # remembered
    cached = (time.perf_counter() - started) / 200
    with capsys.disabled():
        print(
            f"\n  ended-session check: {looked_up * 1e6:.0f} us with a look-up, {cached * 1e6:.1f} us cached "
            f"({runtime.db.url.get_backend_name()})"
        )
    assert sessions.lookups == 200


async def test_events_the_kit_reads_but_nothing_handles_are_ignored(runtime):
    consumer = runtime.consumer("test")
    consumer.attach(SUBSCRIPTIONS_EVENTS)
    registered = AccountRegistered(account_id="a-1", company_name="ACME", administrator_id="p-1", registered_at=NOW)
    await consumer.process_batch([record(registered)])
    assert (consumer.processed, consumer.dead_lettered, await rows(runtime, ended_sessions)) == (0, 0, 0)
