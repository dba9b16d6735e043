"""What a service tells its operators: JSON log lines tagged with the work in hand, one
correlation id from an HTTP request to the events it causes and the jobs they schedule, and
Prometheus metrics at /metrics. In process, no broker; SQLite and PostgreSQL."""

from __future__ import annotations

import io
import json
import logging
from datetime import UTC, datetime, timedelta

import httpx
import pytest
from fastapi import APIRouter, Request
from prometheus_client.parser import text_string_to_metric_families
from sqlalchemy import MetaData

from contracts.envelope import Envelope
from contracts.identity import AccountRegistered
from contracts.topics import IDENTITY_EVENTS
from servicekit.app import service_app
from servicekit.clock import FixedClock
from servicekit.logs import bind, configure_logging
from servicekit.runtime import ServiceRuntime
from servicekit.settings import ServiceSettings

NOW = datetime(2026, 1, 1, tzinfo=UTC)
log = logging.getLogger("servicekit.tests")


@pytest.fixture
def log_lines():
    """Every line the service's log handler writes, parsed as JSON."""
    root = logging.getLogger()
    saved = root.handlers[:], root.level
    stream = io.StringIO()
    configure_logging("kit", "INFO", "json", stream=stream)
    yield lambda: [json.loads(line) for line in stream.getvalue().splitlines()]
    root.handlers[:], _ = saved
    root.setLevel(saved[1])


@pytest.fixture
async def runtime(database_target, monkeypatch):
    url, schema = database_target
    settings = ServiceSettings(
        service_name="kit",
        database_url=url,
        db_schema=schema,
        metrics_open=True,
        consumer_max_attempts=2,
        consumer_backoff_seconds=0.001,
    )
    runtime = ServiceRuntime(settings, MetaData(), clock=FixedClock(NOW))
    await runtime.db.create_all()
    monkeypatch.setattr(runtime.broker, "publish", _dead_letter_box)
    yield runtime
    await runtime.db.drop_schema()
    await runtime.db.dispose()


async def _dead_letter_box(*_args, **_kwargs) -> None:
    """Stands in for the broker: dead letters go nowhere."""


def registered(account_id: str, company: str = "ACME", correlation_id: str = "corr-1") -> Envelope:
    event = AccountRegistered(account_id=account_id, company_name=company, administrator_id="p-1", registered_at=NOW)
    return Envelope.wrap(event, source="identity", time=NOW, correlation_id=correlation_id)


def record(envelope: Envelope | bytes, offset: int):
    from aiokafka import ConsumerRecord

    body = envelope.to_json() if isinstance(envelope, Envelope) else envelope
    return ConsumerRecord(
        topic=IDENTITY_EVENTS.name,
        partition=0,
        offset=offset,
        timestamp=0,
        timestamp_type=0,
        key=b"k",
        value=body,
        checksum=None,
        serialized_key_size=1,
        serialized_value_size=len(body),
        headers=[],
    )


async def announce(event: AccountRegistered, uow) -> None:
    log.info("welcoming %s", event.account_id)
    if event.company_name == "refused":
        raise ValueError("cannot welcome this one")
    await uow.schedule(f"follow-up-{event.account_id}", "follow_up", event.account_id, uow.now() + timedelta(days=1))


def http_client_of(runtime: ServiceRuntime) -> httpx.AsyncClient:
    router = APIRouter()

    @router.post("/accounts/{account_id}/welcome")
    async def welcome(account_id: str, request: Request):
        async def action(uow):
            log.info("welcoming %s by hand", account_id)
            await uow.schedule(f"follow-up-{account_id}", "follow_up", account_id, uow.now() + timedelta(days=1))
            return {"account_id": account_id}

        return await runtime.commands.run(request, None, None, action)

    @router.get("/crash")
    async def crash():
        raise RuntimeError("a bug")

    app = service_app(runtime, router, title="kit", description="test service")
    return httpx.AsyncClient(transport=httpx.ASGITransport(app=app, raise_app_exceptions=False), base_url="http://kit")


def samples(exposition: str) -> dict[tuple[str, frozenset], float]:
    return {
        (s.name, frozenset(s.labels.items())): s.value
        for family in text_string_to_metric_families(exposition)
        for s in family.samples
    }


def test_a_json_log_line_carries_the_service_level_logger_message_bound_fields_and_exception(log_lines):
    with bind(correlation_id="corr-9", event_id="e-1", event_type="seats.unlocked"):
        try:
            raise ValueError("boom")
        except ValueError:
            log.exception("handling %s failed", "e-1")
    log.info("outside")

    failed, outside = log_lines()
    assert {
        k: failed[k] for k in ("service", "level", "logger", "message", "correlation_id", "event_id", "event_type")
    } == {
        "service": "kit",
        "level": "ERROR",
        "logger": "servicekit.tests",
        "message": "handling e-1 failed",
        "correlation_id": "corr-9",
        "event_id": "e-1",
        "event_type": "seats.unlocked",
    }
    assert "ValueError: boom" in failed["exception"] and failed["time"].startswith("20")
    assert (outside["message"], outside["correlation_id"], "event_id" in outside) == ("outside", None, False)


def test_text_lines_end_with_the_correlation_id():
    stream, root = io.StringIO(), logging.getLogger()
    saved = root.handlers[:]
    configure_logging("kit", "INFO", "text", stream=stream)
    try:
        with bind(correlation_id="corr-7"):
            log.info("hello")
    finally:
        root.handlers[:] = saved
    assert stream.getvalue().rstrip().endswith("kit servicekit.tests: hello [corr-7]")


async def test_a_consumed_event_is_logged_with_its_ids_and_counted_by_outcome(runtime, log_lines):
    consumer = runtime.consumer("kit")
    consumer.on(AccountRegistered, announce)
    first, refused = registered("a-1"), registered("a-2", "refused", correlation_id="corr-2")

    await consumer.process_batch([record(first, 0), record(first, 1), record(refused, 2), record(b"{", 3)])

    welcome = next(line for line in log_lines() if line["message"] == "welcoming a-1")
    assert (
        welcome["correlation_id"],
        welcome["event_id"],
        welcome["event_type"],
        welcome["subject"],
        welcome["consumer_group"],
    ) == ("corr-1", first.id, "identity.account_registered", first.subject, "kit")
    dead = next(line for line in log_lines() if "dead-lettered" in line["message"] and line.get("event_id"))
    assert (dead["event_id"], dead["correlation_id"], dead["level"]) == (refused.id, "corr-2", "ERROR")
    async with http_client_of(runtime) as http:
        metrics = samples((await http.get("/metrics")).text)
    event = ("entitle_events_total", "kit", IDENTITY_EVENTS.name, "identity.account_registered")
    outcome = {
        o: metrics.get(
            (
                event[0],
                frozenset(
                    {
                        "service": event[1],
                        "group": "kit",
                        "topic": event[2],
                        "event_type": event[3],
                        "outcome": o,
                    }.items()
                ),
            )
        )
        for o in ("handled", "duplicate", "retried", "dead_lettered")
    }
    assert outcome == {"handled": 1.0, "duplicate": 1.0, "retried": 1.0, "dead_lettered": 1.0}
    reasons = {
        dict(labels)["reason"]: value
        for (name, labels), value in metrics.items()
        if name == "entitle_dead_letters_total"
    }
    assert reasons == {"handler_failed": 1.0, "malformed": 1.0}
    assert (
        metrics[
            (
                "entitle_handler_duration_seconds_count",
                frozenset({"service": "kit", "group": "kit", "event_type": "identity.account_registered"}.items()),
            )
        ]
        >= 1
    )


async def test_a_request_correlation_id_is_returned_and_carried_by_its_log_lines_and_events(runtime, log_lines):
    async with http_client_of(runtime) as http:
        given = await http.post("/accounts/a-1/welcome", headers={"X-Correlation-Id": "from-the-caller"})
        generated = await http.post("/accounts/a-2/welcome")
        unsafe = await http.post("/accounts/a-3/welcome", headers={"X-Correlation-Id": "bad\nid"})

    assert given.headers["X-Correlation-Id"] == "from-the-caller"
    assert len(generated.headers["X-Correlation-Id"]) == 32
    assert unsafe.headers["X-Correlation-Id"] not in ("bad\nid", generated.headers["X-Correlation-Id"])
    by_hand = {line["message"]: line["correlation_id"] for line in log_lines() if "by hand" in line["message"]}
    assert by_hand == {
        "welcoming a-1 by hand": "from-the-caller",
        "welcoming a-2 by hand": generated.headers["X-Correlation-Id"],
        "welcoming a-3 by hand": unsafe.headers["X-Correlation-Id"],
    }


async def test_a_due_job_fires_under_the_correlation_id_of_the_work_that_scheduled_it(runtime, log_lines):
    fired = []

    async def follow_up(job, uow) -> None:
        log.info("following up %s", job.subject)
        fired.append(
            (
                await uow.publish(
                    AccountRegistered(
                        account_id=job.subject, company_name="again", administrator_id="p-1", registered_at=NOW
                    )
                )
            ).correlationid
        )

    runtime.scheduler.on("follow_up", follow_up)
    async with http_client_of(runtime) as http:
        await http.post("/accounts/a-1/welcome", headers={"X-Correlation-Id": "purchase-42"})

    runtime.clock.advance(timedelta(days=2))
    assert await runtime.scheduler.fire_due() == 1

    assert fired == ["purchase-42"]
    line = next(line for line in log_lines() if line["message"] == "following up a-1")
    assert (line["correlation_id"], line["job_kind"], line["job_id"]) == ("purchase-42", "follow_up", "follow-up-a-1")


async def test_an_unexpected_error_answers_500_and_its_log_line_has_the_request_correlation_id(runtime, log_lines):
    async with http_client_of(runtime) as http:
        answer = await http.get("/crash", headers={"X-Correlation-Id": "c-500"})

    assert (answer.status_code, answer.json()["code"], answer.headers["X-Correlation-Id"]) == (
        500,
        "internal_error",
        "c-500",
    )
    [crash] = [line for line in log_lines() if line["message"] == "unhandled error"]
    assert crash["correlation_id"] == "c-500" and "RuntimeError: a bug" in crash["exception"]


async def test_metrics_count_requests_by_route_template_and_read_the_outbox_backlog(runtime):
    async with runtime.uow() as uow:
        for n in range(3):
            await uow.publish(
                AccountRegistered(account_id=f"a-{n}", company_name="ACME", administrator_id="p-1", registered_at=NOW)
            )
        await uow.commit()
    async with http_client_of(runtime) as http:
        for account in ("a-1", "a-2"):
            await http.post(f"/accounts/{account}/welcome")
        await http.get("/crash")
        exposition = await http.get("/metrics")
        schema = (await http.get("/openapi.json")).json()

    metrics = samples(exposition.text)
    assert exposition.headers["content-type"].startswith("text/plain")
    assert (
        metrics[
            (
                "entitle_http_requests_total",
                frozenset(
                    {
                        "service": "kit",
                        "method": "POST",
                        "route": "/accounts/{account_id}/welcome",
                        "status": "200",
                    }.items()
                ),
            )
        ]
        == 2
    )
    assert (
        metrics[
            (
                "entitle_http_requests_total",
                frozenset({"service": "kit", "method": "GET", "route": "/crash", "status": "500"}.items()),
            )
        ]
        == 1
    )
    assert metrics[("entitle_outbox_backlog", frozenset({"service": "kit"}.items()))] == 3
    assert metrics[("entitle_outbox_published_total", frozenset({"service": "kit"}.items()))] == 0
    assert "/metrics" not in schema["paths"]  # operational, like /health: no token, not an API route
