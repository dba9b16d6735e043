"""Idempotency keys answer the first answer only for the same request (issue 11, item 9).

The fingerprint covered only the body a route chose to pass: verifying e-mail 2 with the key
used to verify e-mail 1 replayed e-mail 1's answer, a second file uploaded with the first's key
replayed the first import, anonymous callers shared one scope, and a 100,000-character key was
stored. SQLite and PostgreSQL.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import httpx
import pytest
from fastapi import APIRouter, Request, UploadFile
from pydantic import BaseModel
from sqlalchemy import MetaData, func, select

from servicekit.app import service_app
from servicekit.clock import FixedClock
from servicekit.http.auth import Caller, issue_token
from servicekit.http.deps import CurrentCaller
from servicekit.migrations import migrate_database
from servicekit.runtime import ServiceRuntime
from servicekit.settings import ServiceSettings
from servicekit.store.tables import idempotency_keys

NOW = datetime(2026, 1, 5, 9, 0, tzinfo=UTC)
SECRET = "s" * 40
ADA = Caller("p-ada", "a-1", "ada@example.com", session_id="session-1")


class Verification(BaseModel):
    token: str


class Registration(BaseModel):
    email: str
    password: str

    def without_password(self) -> Registration:
        return self.model_copy(update={"password": ""})


class Service:
    def __init__(self, runtime: ServiceRuntime) -> None:
        self.runtime, self.acted = runtime, []

    def router(self) -> APIRouter:
        router, runtime = APIRouter(), self.runtime

        @router.post("/verifications")
        async def verify(body: Verification, request: Request):
            async def act(_uow):
                self.acted.append(body.token)
                return {"verified": body.token}

            return await runtime.commands.run(request, None, None, act)  # the route passes no body

        @router.post("/people")
        async def register(body: Registration, request: Request):
            async def act(_uow):
                self.acted.append(body.email)
                return {"registered": body.email}

            return await runtime.commands.run(request, None, body.without_password(), act, status_code=201)

        @router.post("/subscriptions/{subscription_id}/imports")
        async def upload(subscription_id: str, file: UploadFile, request: Request, caller: CurrentCaller):
            content = await file.read()  # read before the command, as seats does

            async def act(_uow):
                self.acted.append(content.decode())
                return {"rows": content.decode()}

            return await runtime.commands.run(request, caller, None, act, status_code=201)

        @router.post("/subscriptions/{subscription_id}/renewal")
        async def renew(subscription_id: str, request: Request, caller: CurrentCaller, years: int = 1):
            async def act(_uow):
                self.acted.append(f"{subscription_id}+{years}")
                return {"renewed_for": years}

            return await runtime.commands.run(request, caller, None, act)

        return router


def build(url: str, schema: str, **settings) -> tuple[ServiceRuntime, Service]:
    settings = {"token_secret": SECRET, **settings}
    runtime = ServiceRuntime(
        ServiceSettings(service_name="test", database_url=url, db_schema=schema, **settings),
        MetaData(),
        clock=FixedClock(NOW),
    )
    service = Service(runtime)
    service.app = service_app(runtime, service.router(), title="kit", description="idempotency test")
    return runtime, service


def client(service: Service, address: str = "203.0.113.7") -> httpx.AsyncClient:
    transport = httpx.ASGITransport(app=service.app, client=(address, 40000))
    return httpx.AsyncClient(transport=transport, base_url="http://kit")


@pytest.fixture
async def service(database_target):
    url, schema = database_target
    runtime, service = build(url, schema)
    await migrate_database(runtime.db, "servicekit")
    yield service
    await runtime.db.drop_schema()
    await runtime.db.dispose()


def bearer(caller: Caller = ADA, secret: str = SECRET) -> dict[str, str]:
    return {"Authorization": f"Bearer {issue_token(secret, caller, NOW, timedelta(hours=1))}"}


async def stored_keys(runtime: ServiceRuntime) -> list:
    async with runtime.db.connect() as conn:
        return (await conn.execute(select(idempotency_keys))).all()


async def test_the_same_key_with_another_token_to_verify_is_refused_not_replayed(service):
    async with client(service) as http:
        first = await http.post("/verifications", json={"token": "t-1"}, headers={"Idempotency-Key": "k"})
        second = await http.post("/verifications", json={"token": "t-2"}, headers={"Idempotency-Key": "k"})
    assert first.json()["verified"] == "t-1"
    assert (second.status_code, second.json()["code"]) == (409, "idempotency_key_reused")
    assert service.acted == ["t-1"]


async def test_the_same_key_with_the_same_request_replays_the_first_answer(service):
    async with client(service) as http:
        first = await http.post("/verifications", json={"token": "t-1"}, headers={"Idempotency-Key": "k"})
        # The same JSON, its keys spaced differently: the same request.
        again = await http.post(
            "/verifications",
            content=b'{ "token" :"t-1" }',
            headers={"Idempotency-Key": "k", "Content-Type": "application/json"},
        )
    assert (again.status_code, again.json(), again.headers["Idempotent-Replayed"]) == (200, first.json(), "true")
    assert service.acted == ["t-1"]


async def test_a_field_the_route_strips_from_its_body_still_tells_requests_apart(service):
    async with client(service) as http:
        await http.post(
            "/people", json={"email": "ada@example.com", "password": "one-Secret-9"}, headers={"Idempotency-Key": "k"}
        )
        other = await http.post(
            "/people", json={"email": "ada@example.com", "password": "two-Secret-9"}, headers={"Idempotency-Key": "k"}
        )
    assert other.status_code == 409


async def test_no_password_and_no_plain_hash_of_the_request_is_stored(service, database_target):
    async with client(service) as http:
        await http.post(
            "/people", json={"email": "ada@example.com", "password": "one-Secret-9"}, headers={"Idempotency-Key": "k"}
        )
    [row] = await stored_keys(service.runtime)
    assert "one-Secret-9" not in repr(tuple(row))
    # Keyed with the server's secret: the same request under another secret has another fingerprint.
    url, schema = database_target
    other_runtime, other = build(url, schema, token_secret="t" * 40)
    async with client(other) as http:
        refused = await http.post(
            "/people", json={"email": "ada@example.com", "password": "one-Secret-9"}, headers={"Idempotency-Key": "k"}
        )
    assert refused.status_code == 409
    await other_runtime.db.dispose()


async def test_after_a_secret_rotation_a_retry_still_replays(service, database_target):
    async with client(service) as http:
        first = await http.post("/verifications", json={"token": "t-1"}, headers={"Idempotency-Key": "k"})
    url, schema = database_target
    rotated_runtime, rotated = build(url, schema, token_secret="t" * 40, token_previous_secrets=SECRET)
    async with client(rotated) as http:
        again = await http.post("/verifications", json={"token": "t-1"}, headers={"Idempotency-Key": "k"})
    assert (again.status_code, again.json()) == (200, first.json())
    assert rotated.acted == []
    await rotated_runtime.db.dispose()


async def test_two_anonymous_clients_with_one_key_do_not_see_each_others_answer(service):
    async with client(service, "198.51.100.1") as one, client(service, "198.51.100.2") as two:
        first = await one.post("/verifications", json={"token": "t-1"}, headers={"Idempotency-Key": "k"})
        second = await two.post("/verifications", json={"token": "t-2"}, headers={"Idempotency-Key": "k"})
    assert (first.json()["verified"], second.json()["verified"]) == ("t-1", "t-2")
    assert "Idempotent-Replayed" not in second.headers
    assert sorted(r.scope for r in await stored_keys(service.runtime)) == [
        "anonymous:198.51.100.1",
        "anonymous:198.51.100.2",
    ]


async def test_a_second_file_uploaded_with_the_first_files_key_is_refused(service):
    path, key = "/subscriptions/s-1/imports", {"Idempotency-Key": "upload-1"}
    async with client(service) as http:
        first = await http.post(
            path, files={"file": ("a.csv", b"ada@example.com\n", "text/csv")}, headers={**bearer(), **key}
        )
        retry = await http.post(
            path, files={"file": ("a.csv", b"ada@example.com\n", "text/csv")}, headers={**bearer(), **key}
        )  # a new multipart boundary, the same file
        other = await http.post(
            path, files={"file": ("a.csv", b"bob@example.com\n", "text/csv")}, headers={**bearer(), **key}
        )
    assert first.status_code == 201 and retry.json() == first.json()
    assert retry.headers["Idempotent-Replayed"] == "true"
    assert (other.status_code, other.json()["code"]) == (409, "idempotency_key_reused")
    assert service.acted == ["ada@example.com\n"]


async def test_the_same_key_with_another_query_or_path_is_refused(service):
    key = {"Idempotency-Key": "renew-1", **bearer()}
    async with client(service) as http:
        assert (await http.post("/subscriptions/s-1/renewal?years=1", headers=key)).status_code == 200
        assert (await http.post("/subscriptions/s-1/renewal?years=3", headers=key)).status_code == 409
        assert (await http.post("/subscriptions/s-2/renewal?years=1", headers=key)).status_code == 409
        assert (await http.post("/subscriptions/s-1/renewal?years=1", headers=key)).status_code == 200
    assert service.acted == ["s-1+1"]


async def test_the_same_key_from_another_session_of_the_same_person_is_refused(service):
    other_session = Caller("p-ada", "a-1", "ada@example.com", session_id="session-2")
    async with client(service) as http:
        await http.post("/subscriptions/s-1/renewal", headers={"Idempotency-Key": "k", **bearer()})
        again = await http.post("/subscriptions/s-1/renewal", headers={"Idempotency-Key": "k", **bearer(other_session)})
    assert again.status_code == 409


@pytest.mark.parametrize("key", ["k" * 100_000, "k" * 256, "line\nbreak", "tab\tkey", " padded", "clé"])
async def test_a_key_that_is_too_long_or_not_visible_ascii_is_refused_before_anything_is_stored(service, key):
    async with client(service) as http:
        answer = await http.post(
            "/verifications", json={"token": "t-1"}, headers=[("Idempotency-Key", key.encode("utf-8"))]
        )
    assert (answer.status_code, answer.json()["code"]) == (422, "invalid_idempotency_key")
    assert service.acted == [] and await stored_keys(service.runtime) == []


async def test_a_key_of_255_visible_characters_is_accepted(service):
    async with client(service) as http:
        answer = await http.post("/verifications", json={"token": "t-1"}, headers={"Idempotency-Key": "k" * 255})
    assert answer.status_code == 200
    async with service.runtime.db.connect() as conn:
        assert (await conn.execute(select(func.count()).select_from(idempotency_keys))).scalar_one() == 1
