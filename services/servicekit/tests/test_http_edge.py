"""The HTTP edge every service shares (issue 11, items 5, 17 and 19): request bodies are
bounded while they stream in, every error FastAPI or Starlette raises is in the project's
format, and every /ops route and /metrics need the operator token once one is configured."""

from __future__ import annotations

from datetime import UTC, datetime
from email.utils import format_datetime

import httpx
import pytest
from fastapi import APIRouter, Request, UploadFile
from pydantic import BaseModel
from sqlalchemy import MetaData

from servicekit.app import service_app
from servicekit.clock import FixedClock, SharedTestClock
from servicekit.migrations import migrate_database
from servicekit.runtime import ServiceRuntime
from servicekit.settings import ServiceSettings

NOW = datetime(2026, 1, 5, 9, 0, tzinfo=UTC)
MB = 1024 * 1024
OPERATOR = "o" * 40
BROKER = "broker.internal.example:9092"


class Note(BaseModel):
    text: str


class Endpoints:
    """Records which endpoints ran: a refused body must not reach one."""

    def __init__(self) -> None:
        self.ran: list[str] = []

    def router(self) -> APIRouter:
        router = APIRouter()

        @router.post("/notes")
        async def note(body: Note) -> dict:
            self.ran.append("notes")
            return {"length": len(body.text)}

        @router.post("/files")
        async def file(request: Request) -> dict:
            self.ran.append("files")
            return {"size": len(await request.body())}

        @router.post("/uploads")
        async def upload(file: UploadFile) -> dict:
            self.ran.append("uploads")
            return {"size": len(await file.read())}

        return router


async def service(
    tmp_path, clock=None, larger_bodies=None, **settings
) -> tuple[ServiceRuntime, Endpoints, httpx.AsyncClient]:
    runtime = ServiceRuntime(
        ServiceSettings(
            service_name="test", database_url=f"sqlite:///{tmp_path}/kit.db", kafka_bootstrap_servers=BROKER, **settings
        ),
        MetaData(),
        clock=clock or FixedClock(NOW),
    )
    await migrate_database(runtime.db, "servicekit")
    endpoints = Endpoints()
    app = service_app(runtime, endpoints.router(), title="kit", description="edge test", larger_bodies=larger_bodies)
    client = httpx.AsyncClient(
        transport=httpx.ASGITransport(app=app, raise_app_exceptions=False), base_url="http://kit"
    )
    return runtime, endpoints, client


@pytest.fixture
async def kit(tmp_path):
    runtime, endpoints, client = await service(tmp_path)
    yield endpoints, client, runtime
    await client.aclose()
    await runtime.db.dispose()


def refused(answer: httpx.Response, status: int, code: str) -> dict:
    body = answer.json()
    assert (answer.status_code, body["code"]) == (status, code), body
    assert set(body) == {"code", "message", "rule"}
    return body


# -- request size (item 5) -----------------------------------------------------------------


async def test_a_json_body_within_1_MB_is_read(kit):
    _, client, _ = kit
    answer = await client.post("/notes", json={"text": "x" * (MB - 100)})
    assert (answer.status_code, answer.json()) == (200, {"length": MB - 100})


async def test_a_json_body_past_1_MB_is_answered_413_in_the_projects_format_and_never_parsed(kit):
    endpoints, client, _ = kit
    answer = await client.post("/notes", json={"text": "x" * (20 * MB)})
    body = refused(answer, 413, "request_too_large")
    assert "1 MB" in body["message"] and answer.headers["x-correlation-id"]
    assert endpoints.ran == []


async def test_a_chunked_body_without_a_length_is_cut_off_at_the_limit_while_it_streams(kit):
    endpoints, client, _ = kit
    sent = 0

    async def chunks():
        nonlocal sent
        yield b'{"text": "'
        for _ in range(64):  # 4 MB offered in 64 KB chunks
            sent += 1
            yield b"x" * (64 * 1024)
        yield b'"}'

    answer = await client.post("/notes", content=chunks(), headers={"Content-Type": "application/json"})
    refused(answer, 413, "request_too_large")
    assert endpoints.ran == [] and sent <= 17  # read up to the first chunk past 1 MB, no further


async def test_a_body_longer_than_its_content_length_says_is_cut_off_too(tmp_path):
    runtime, endpoints, client = await service(tmp_path)
    app, received, sent = client._transport.app, 0, []

    async def receive():
        nonlocal received
        received += 1
        return {"type": "http.request", "body": b"x" * (256 * 1024), "more_body": received < 40}

    async def send(message):
        sent.append(message)

    scope = {
        "type": "http",
        "asgi": {"version": "3.0"},
        "http_version": "1.1",
        "method": "POST",
        "scheme": "http",
        "path": "/notes",
        "raw_path": b"/notes",
        "query_string": b"",
        "root_path": "",
        "headers": [(b"host", b"kit"), (b"content-type", b"application/json"), (b"content-length", b"10")],
        "client": ("127.0.0.1", 5000),
        "server": ("kit", 80),
    }
    await app(scope, receive, send)
    assert sent[0]["status"] == 413 and received == 5 and endpoints.ran == []
    await runtime.db.dispose()


async def test_an_upload_has_its_own_larger_limit(tmp_path):
    runtime, endpoints, client = await service(tmp_path, max_upload_bytes=3 * MB)
    two_mb = await client.post("/uploads", files={"file": ("users.csv", b"a" * (2 * MB), "text/csv")})
    assert (two_mb.status_code, two_mb.json()) == (200, {"size": 2 * MB})
    four_mb = await client.post("/uploads", files={"file": ("users.csv", b"a" * (4 * MB), "text/csv")})
    assert "An upload may be at most 3 MB" in refused(four_mb, 413, "request_too_large")["message"]
    assert endpoints.ran == ["uploads"]
    await client.aclose()
    await runtime.db.dispose()


async def test_issue15_a_route_taking_a_file_as_its_body_has_its_own_limit_and_no_other_route_gains_it(tmp_path):
    runtime, endpoints, client = await service(tmp_path, larger_bodies={"/files": 3 * MB})
    two_mb = await client.post("/files", content=b"<a/>" * (MB // 2), headers={"Content-Type": "application/xml"})
    assert (two_mb.status_code, two_mb.json()) == (200, {"size": 2 * MB})
    four_mb = await client.post("/files", content=b"a" * (4 * MB), headers={"Content-Type": "application/xml"})
    assert "A request body may be at most 3 MB" in refused(four_mb, 413, "request_too_large")["message"]
    note = await client.post("/notes", json={"text": "a" * (2 * MB)})  # the service's own 1 MB still holds
    assert "at most 1 MB" in refused(note, 413, "request_too_large")["message"]
    assert endpoints.ran == ["files"]
    await client.aclose()
    await runtime.db.dispose()


# -- FastAPI's own errors in the project's format (item 19) --------------------------------


async def test_deeply_nested_json_is_answered_in_the_projects_error_format(kit):
    _, client, _ = kit
    nested = "[" * 100_000 + "]" * 100_000
    answer = await client.post("/notes", content=nested, headers={"Content-Type": "application/json"})
    refused(answer, 422, "invalid_request")


async def test_malformed_json_is_answered_in_the_projects_error_format(kit):
    _, client, _ = kit
    answer = await client.post("/notes", content=b'{"text": ', headers={"Content-Type": "application/json"})
    refused(answer, 422, "invalid_request")


async def test_an_unknown_route_and_a_wrong_method_are_answered_in_the_projects_error_format(kit):
    _, client, _ = kit
    refused(await client.get("/nowhere"), 404, "no_such_route")
    wrong = await client.get("/notes")
    refused(wrong, 405, "method_not_allowed")
    assert wrong.headers["allow"] == "POST"


# -- operator routes (item 17) -------------------------------------------------------------


@pytest.fixture
async def guarded(tmp_path):
    """A test-clock stack that configured an operator token: its /ops routes are not open."""
    runtime, _, client = await service(
        tmp_path, clock=SharedTestClock(tmp_path / "clock.json"), operator_token=OPERATOR
    )
    yield client
    await client.aclose()
    await runtime.db.dispose()


@pytest.mark.parametrize(
    "method, path, body",
    [
        ("GET", "/ops/stats", None),
        ("GET", "/ops/clock", None),
        ("GET", "/ops/jobs/next", None),
        ("POST", "/ops/clock/advance", {"days": 1}),
        ("POST", "/ops/clock/set", {"at": "2030-01-01T00:00:00Z"}),
        ("POST", "/ops/jobs/fire", None),
        ("GET", "/ops/outbox/backlog?topic=x", None),
    ],
)
async def test_with_an_operator_token_configured_every_ops_route_needs_it_even_on_a_test_clock(
    guarded, method, path, body
):
    for sent in (None, "wrong"):
        headers = {"X-Operator-Token": sent} if sent else {}
        refused(await guarded.request(method, path, json=body, headers=headers), 403, "not_an_operator")


async def test_the_clock_routes_work_with_the_operator_token(guarded):
    answer = await guarded.post("/ops/clock/advance", json={"days": 1}, headers={"X-Operator-Token": OPERATOR})
    assert answer.status_code == 200 and answer.json()["now"]


async def test_a_test_clock_stack_without_an_operator_token_leaves_the_ops_routes_open(tmp_path):
    runtime, _, client = await service(tmp_path, clock=SharedTestClock(tmp_path / "clock.json"))
    assert (await client.get("/ops/clock")).status_code == 200
    assert (await client.get("/ops/stats")).json()["kafka_bootstrap_servers"] == BROKER  # the time machine's
    await client.aclose()
    await runtime.db.dispose()


async def test_stats_are_for_operators_and_do_not_show_the_broker_address(tmp_path):
    runtime, _, client = await service(tmp_path, operator_token=OPERATOR)
    refused(await client.get("/ops/stats"), 403, "not_an_operator")
    answer = await client.get("/ops/stats", headers={"X-Operator-Token": OPERATOR})
    assert answer.status_code == 200 and "outbox_backlog" in answer.json()
    assert "broker.internal" not in answer.text and "kafka_bootstrap_servers" not in answer.json()
    await client.aclose()
    await runtime.db.dispose()


async def test_without_an_operator_token_off_a_test_clock_the_ops_routes_are_off(kit):
    _, client, _ = kit
    refused(await client.get("/ops/stats"), 403, "operator_routes_disabled")


async def test_metrics_need_the_operator_token_as_a_header_or_a_bearer_token(tmp_path):
    runtime, _, client = await service(tmp_path, operator_token=OPERATOR)
    refused(await client.get("/metrics"), 403, "not_an_operator")
    refused(await client.get("/metrics", headers={"Authorization": "Bearer wrong"}), 403, "not_an_operator")
    for headers in ({"X-Operator-Token": OPERATOR}, {"Authorization": f"Bearer {OPERATOR}"}):
        answer = await client.get("/metrics", headers=headers)
        assert answer.status_code == 200 and "entitle_http_requests_total" in answer.text
        assert "broker.internal" not in answer.text
    await client.aclose()
    await runtime.db.dispose()


async def test_metrics_open_serves_them_without_a_token(tmp_path):
    runtime, _, client = await service(tmp_path, operator_token=OPERATOR, metrics_open=True)
    assert (await client.get("/metrics")).status_code == 200
    await client.aclose()
    await runtime.db.dispose()


async def test_health_and_ready_stay_open(tmp_path):
    runtime, _, client = await service(tmp_path, operator_token=OPERATOR)
    assert (await client.get("/health")).json() == {"status": "ok", "service": "test"}
    await client.aclose()
    await runtime.db.dispose()


async def test_answers_are_dated_by_the_service_s_clock_once(kit):
    """Issue 14: a product's client library reads the server's time from `Date`; on a test
    clock's stack that is the time the service lives at, and its signed entitlements say."""
    _, client, _ = kit
    answer = await client.post("/notes", json={"text": "dated"})
    assert answer.headers.get_list("date") == [format_datetime(NOW, usegmt=True)]
