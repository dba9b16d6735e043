"""Every service's HTTP API, built in this process (no broker, no database needed): what its
OpenAPI document says (issue 11, item 22), that its /ops routes need the operator token
(item 17) and that it bounds request bodies (item 5)."""

from __future__ import annotations

import importlib
import re

import httpx
import pytest

from devkit.devstack import SERVICES
from servicekit.runtime import ServiceRuntime
from servicekit.settings import ServiceSettings

OPERATOR = "o" * 40
COMMANDS = {"post", "put", "patch", "delete"}


def built(service: str, tmp_path) -> ServiceRuntime:
    settings_module = importlib.import_module(f"{service}.settings")
    settings_class = next(
        value
        for name, value in vars(settings_module).items()
        if isinstance(value, type) and issubclass(value, ServiceSettings) and value is not ServiceSettings
    )
    settings = settings_class(database_url=f"sqlite:///{tmp_path}/{service}.db", operator_token=OPERATOR)
    return importlib.import_module(f"{service}.app").build(settings)


@pytest.fixture(scope="module")
def runtimes(tmp_path_factory) -> dict[str, ServiceRuntime]:
    folder = tmp_path_factory.mktemp("apis")
    return {service: built(service, folder) for service in SERVICES}


def operations(runtimes):
    for service, runtime in runtimes.items():
        spec = runtime.app.openapi()
        for path, methods in spec["paths"].items():
            for method, operation in methods.items():
                yield service, spec, path, method, operation


def test_every_error_answer_of_every_operation_is_the_projects_error_body(runtimes):
    checked = 0
    for service, spec, path, method, operation in operations(runtimes):
        errors = {status: answer for status, answer in operation["responses"].items() if status[0] in "45"}
        assert "422" in errors or not (operation.get("parameters") or "requestBody" in operation), (service, path)
        for status, answer in errors.items():
            assert answer["content"]["application/json"]["schema"] == {"$ref": "#/components/schemas/ErrorBody"}, (
                service,
                method,
                path,
                status,
            )
            checked += 1
        assert set(spec["components"]["schemas"]["ErrorBody"]["properties"]) == {"code", "message", "rule"}
    assert checked > 100


def test_every_command_documents_its_refusals(runtimes):
    commands = [(s, p, m, o) for s, _, p, m, o in operations(runtimes) if m in COMMANDS]
    assert len(commands) > 30
    for service, path, method, operation in commands:
        assert {"409", "413", "422", "429"} <= set(operation["responses"]), (service, method, path)


def test_every_operation_naming_something_may_answer_404(runtimes):
    for service, _, path, method, operation in operations(runtimes):
        if "{" in path:
            assert "404" in operation["responses"], (service, method, path)


def test_every_operation_that_needs_a_token_says_so_and_documents_401_and_403(runtimes):
    guarded = 0
    for service, _, path, method, operation in operations(runtimes):
        takes_a_token = any(
            p["in"] == "header" and p["name"].lower() == "authorization" for p in operation.get("parameters", [])
        )
        if path.startswith("/ops/"):
            assert operation["security"] == [{"operatorToken": []}] and "403" in operation["responses"], (service, path)
        elif takes_a_token:
            guarded += 1
            assert operation["security"] == [{"accessToken": []}], (service, method, path)
            assert {"401", "403"} <= set(operation["responses"]), (service, method, path)
    assert guarded > 50


def test_every_command_documents_the_idempotency_key_header(runtimes):
    for service, _, path, method, operation in operations(runtimes):
        if method not in COMMANDS or path.startswith("/ops/"):
            continue
        [header] = [p for p in operation.get("parameters", []) if p["name"] == "Idempotency-Key"]
        assert (header["in"], header["required"], header["schema"]["maxLength"]) == ("header", False, 255), (
            service,
            method,
            path,
        )


async def test_every_ops_route_of_every_service_needs_the_operator_token(runtimes):
    refused = 0
    for service, runtime in runtimes.items():
        transport = httpx.ASGITransport(app=runtime.app)  # no lifespan: the refusal comes first
        client = httpx.AsyncClient(transport=transport, base_url="http://service")
        for route in runtime.app.routes:
            path = getattr(route, "path", "")
            if not (path.startswith("/ops") or path == "/metrics"):
                continue
            for method in route.methods - {"HEAD"}:
                url = re.sub(r"\{[^}]+\}", "x", path)
                for headers in ({}, {"X-Operator-Token": "wrong"}):
                    answer = await client.request(method, url, headers=headers)
                    assert (answer.status_code, answer.json()["code"]) == (403, "not_an_operator"), (
                        service,
                        method,
                        path,
                        headers,
                    )
                refused += 1
        await client.aclose()
    assert refused >= 5 * 4  # stats, metrics, outbox routes in each service, and theirs


async def test_every_service_answers_a_body_past_the_limit_413_before_anything_else(runtimes):
    for service, runtime in runtimes.items():
        client = httpx.AsyncClient(transport=httpx.ASGITransport(app=runtime.app), base_url="http://service")
        # Any command: the limit applies before routing, authentication or parsing.
        command = next(r for r in runtime.app.routes if "POST" in getattr(r, "methods", ()))
        answer = await client.post(
            re.sub(r"\{[^}]+\}", "x", command.path),
            content=b"{" + b" " * (2 * 2**20) + b"}",
            headers={"Content-Type": "application/json"},
        )
        assert (answer.status_code, answer.json()["code"]) == (413, "request_too_large"), (service, command.path)
        await client.aclose()
