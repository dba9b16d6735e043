"""Operator actions need the operator token; only a test-clock stack leaves them open."""

from datetime import UTC, datetime

import pytest
from fastapi import APIRouter, FastAPI
from fastapi.testclient import TestClient

from servicekit.clock import FixedClock, SharedTestClock
from servicekit.http.deps import REQUIRES_OPERATOR, OperatorGate
from servicekit.http.errors import install_error_handlers


def client_for(operator_token: str, clock) -> TestClient:
    router = APIRouter(dependencies=[REQUIRES_OPERATOR])
    router.add_api_route("/ops/act", lambda: {"done": True}, methods=["POST"])
    app = FastAPI()
    app.state.operators = OperatorGate(operator_token, open_without_token=isinstance(clock, SharedTestClock))
    install_error_handlers(app)
    app.include_router(router)
    return TestClient(app)


NOW = FixedClock(datetime(2026, 1, 5, tzinfo=UTC))


def test_operator_actions_are_refused_when_no_operator_token_is_configured():
    answer = client_for("", NOW).post("/ops/act")
    assert (answer.status_code, answer.json()["code"]) == (403, "operator_routes_disabled")


@pytest.mark.parametrize("sent", [None, "wrong"])
def test_operator_actions_need_the_configured_token(sent):
    headers = {"X-Operator-Token": sent} if sent else {}
    answer = client_for("s3cret", NOW).post("/ops/act", headers=headers)
    assert (answer.status_code, answer.json()["code"]) == (403, "not_an_operator")


def test_operator_actions_run_with_the_token():
    assert client_for("s3cret", NOW).post("/ops/act", headers={"X-Operator-Token": "s3cret"}).json() == {"done": True}


def test_a_test_clock_stack_leaves_operator_actions_open(tmp_path):
    assert client_for("", SharedTestClock(tmp_path / "clock.json")).post("/ops/act").json() == {"done": True}
