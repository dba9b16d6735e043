"""The tools' requests to operator routes carry `X-Operator-Token` from OPERATOR_TOKEN (issue
11, item 17: `/ops/*` requires it whenever a service has one), and no other request does.
The time machine's own requests are checked in test_timemachine.py."""

from __future__ import annotations

import httpx
import pytest

from devkit import client as client_module
from devkit.client import EntitleClient


@pytest.fixture
def sent(monkeypatch) -> list[httpx.Headers]:
    seen: list[httpx.Headers] = []

    def request(method, url, json=None, headers=None, timeout=None):
        seen.append(httpx.Headers(headers or {}))
        return httpx.Response(200, json={"now": "2026-01-05T09:00:00+00:00"})

    monkeypatch.setattr(client_module.httpx, "request", request)
    return seen


def test_the_client_sends_the_operator_token_of_the_environment_to_operator_routes_only(monkeypatch, sent):
    monkeypatch.setenv("OPERATOR_TOKEN", "op-secret")
    api = EntitleClient({"subscriptions": "http://subscriptions.test"}, token="customer-token")
    api.call("subscriptions", "GET", "/ops/clock")
    api.call("subscriptions", "GET", "/subscriptions")
    assert sent[0]["X-Operator-Token"] == "op-secret"
    assert "X-Operator-Token" not in sent[1]  # a customer's request never carries it


def test_without_an_operator_token_the_client_sends_none(monkeypatch, sent):
    monkeypatch.delenv("OPERATOR_TOKEN", raising=False)
    EntitleClient({"subscriptions": "http://subscriptions.test"}).call("subscriptions", "GET", "/ops/clock")
    assert "X-Operator-Token" not in sent[0]
