"""`entitle billing …` (issue 15, item 7): each verb calls billing's operator route with the
operator token and says billing's answer or refusal. Billing's side is tested in billing."""

from __future__ import annotations

import json

import httpx
import pytest
from typer.testing import CliRunner

from opskit import billing
from opskit.cli import app

runner = CliRunner()
EUR = "EUR"


def money(minor: int) -> dict:
    return {"amount_minor": minor, "currency": EUR}


@pytest.fixture
def billing_service(monkeypatch):
    """Billing's answers, and the requests the command sent."""
    seen: list[httpx.Request] = []
    answers: dict[tuple[str, str], httpx.Response] = {}

    def handle(request: httpx.Request) -> httpx.Response:
        seen.append(request)
        return answers.get((request.method, request.url.path), httpx.Response(404, json={"code": "no_such_route"}))

    monkeypatch.setattr(billing, "client_factory", lambda: httpx.Client(transport=httpx.MockTransport(handle)))
    monkeypatch.setenv("ENTITLE_BILLING_URL", "http://billing.test")
    monkeypatch.setenv("OPERATOR_TOKEN", "op-secret")
    return answers, seen


def invoice(state: str, open_minor: int, **extra) -> dict:
    return {"number": "BE-INV-2026-000001", "state": state, "open_amount": money(open_minor), **extra}


def test_issue15_import_statement_posts_the_file_and_lists_what_is_left(billing_service, tmp_path):
    answers, seen = billing_service
    entry = {"entry_id": "2026030500001", "amount": money(44165), "reference": "RF02BEINV2026000004"}
    answers[("POST", "/ops/bank-statements")] = httpx.Response(
        200,
        json={
            "statement_id": "S-1",
            "already_imported": False,
            "entries": 2,
            "matched": [{**entry, "invoice_number": "BE-INV-2026-000004", "invoice_state": "paid"}],
            "partially_paid": [],
            "reversals": [],
            "duplicates": [],
            "unmatched": [{**entry, "entry_id": "2026030500002", "note": "no invoice reference"}],
        },
    )
    statement = tmp_path / "statement.xml"
    statement.write_bytes(b"<Document/>")
    result = runner.invoke(app, ["billing", "import-statement", str(statement)])
    assert result.exit_code == 0, result.output
    [request] = seen
    assert request.content == b"<Document/>" and request.headers["content-type"] == "application/xml"
    assert request.headers["x-operator-token"] == "op-secret"
    assert "1 paid in full" in result.output and "BE-INV-2026-000004" in result.output
    assert "1 unmatched" in result.output and "2026030500002" in result.output


def test_issue15_pay_sends_minor_units_and_an_idempotency_key_a_retry_can_repeat(billing_service):
    answers, seen = billing_service
    answers[("POST", "/ops/invoices/inv-1/payments")] = httpx.Response(201, json=invoice("partially_paid", 100))
    result = runner.invoke(
        app, ["billing", "pay", "inv-1", "441.55", "--on", "2026-02-03", "--idempotency-key", "k-1", "--note", "cheque"]
    )
    assert result.exit_code == 0, result.output
    [request] = seen
    assert json.loads(request.content) == {
        "amount_minor": 44155,
        "currency": EUR,
        "received_on": "2026-02-03",
        "note": "cheque",
    }
    assert request.headers["idempotency-key"] == "k-1"
    assert "partially_paid, 1.00 EUR open" in result.output


@pytest.mark.parametrize("amount", ["12.345", "-5", "0", "twelve"])
def test_issue15_pay_refuses_an_amount_it_cannot_turn_into_cents_before_calling_billing(billing_service, amount):
    _, seen = billing_service
    result = runner.invoke(app, ["billing", "pay", "inv-1", amount])
    assert result.exit_code == 2 and seen == []


def test_issue15_a_refusal_is_billing_s_own_message_and_exit_1(billing_service):
    answers, _ = billing_service
    answers[("POST", "/ops/invoices/inv-1/write-off")] = httpx.Response(
        409, json={"code": "not_collectible", "message": "BE-INV-2026-000001 is paid: nothing to write off."}
    )
    result = runner.invoke(app, ["billing", "write-off", "inv-1", "--reason", "bankrupt"])
    assert result.exit_code == 1
    assert "409 not_collectible" in result.output and "nothing to write off" in result.output


def test_issue15_assign_and_unmatched_call_their_routes(billing_service):
    answers, seen = billing_service
    answers[("POST", "/ops/bank-entries/2026030500002/1/assignment")] = httpx.Response(
        200, json={"entry": {}, "invoice": invoice("paid", 0)}
    )
    answers[("GET", "/ops/bank-entries")] = httpx.Response(200, json=[])
    assert runner.invoke(app, ["billing", "assign", "2026030500002/1", "inv-9"]).exit_code == 0
    assert json.loads(seen[0].content) == {"invoice_id": "inv-9"}
    listed = runner.invoke(app, ["billing", "unmatched"])
    assert listed.exit_code == 0 and "No unmatched entries." in listed.output
    assert seen[1].url.params["outcome"] == "unmatched"


def test_issue15_a_silent_billing_says_where_it_looked(monkeypatch):
    monkeypatch.setenv("ENTITLE_BILLING_URL", "http://127.0.0.1:1")
    result = runner.invoke(app, ["billing", "unmatched"])
    assert result.exit_code == 1 and "127.0.0.1:1" in result.output


def test_issue15_export_writes_billing_s_csv_to_the_file_asked(billing_service, tmp_path):
    answers, seen = billing_service
    answers[("GET", "/ops/exports/invoices.csv")] = httpx.Response(
        200, content=b"number,total\r\nBE-INV-2026-000001,1210.00\r\n", headers={"content-type": "text/csv"}
    )
    target = tmp_path / "q1.csv"
    result = runner.invoke(
        app, ["billing", "export", "invoices", "--from", "2026-01-01", "--to", "2026-03-31", "-o", str(target)]
    )
    assert result.exit_code == 0, result.output
    assert target.read_bytes().endswith(b"BE-INV-2026-000001,1210.00\r\n") and "1 invoices" in result.output
    assert dict(seen[0].url.params) == {"from": "2026-01-01", "to": "2026-03-31"}
    assert (
        runner.invoke(app, ["billing", "export", "lines", "--from", "2026-01-01", "--to", "2026-01-02"]).exit_code == 2
    )


def test_issue15_credit_sends_the_reason_and_the_lines_in_minor_units(billing_service):
    answers, seen = billing_service
    answers[("POST", "/ops/invoices/inv-1/credit-note")] = httpx.Response(
        201, json={"number": "BE-CN-2026-000001", "corrects": "BE-INV-2026-000001", "total": money(-73000)}
    )
    result = runner.invoke(app, ["billing", "credit", "inv-1", "--reason", "2 seats", "--line", "l-1=730.00"])
    assert result.exit_code == 0, result.output
    assert json.loads(seen[0].content) == {"reason": "2 seats", "lines": {"l-1": 73000}}
    assert "BE-CN-2026-000001 corrects BE-INV-2026-000001: -730.00 EUR" in result.output
    assert runner.invoke(app, ["billing", "credit", "inv-1", "--reason", "x", "--line", "l-1"]).exit_code == 2


def test_issue15_sepa_file_writes_the_sellers_file_with_a_key_and_saves_its_bytes(billing_service, tmp_path):
    answers, seen = billing_service
    answers[("POST", "/ops/sepa/collection-files")] = httpx.Response(
        201,
        json={
            "file_id": "BE-SDD-2026-000001",
            "collections": 2,
            "total": money(88330),
            "dropped": [{"number": "BE-INV-2026-000009", "note": "paid meanwhile"}],
        },
    )
    answers[("GET", "/ops/sepa/collection-files/BE-SDD-2026-000001.xml")] = httpx.Response(200, content=b"<pain/>")
    target = tmp_path / "file.xml"
    result = runner.invoke(app, ["billing", "sepa-file", "BE", "-o", str(target), "--idempotency-key", "k-9"])
    assert result.exit_code == 0, result.output
    written, downloaded = seen
    assert json.loads(written.content) == {"seller_id": "BE"} and written.headers["idempotency-key"] == "k-9"
    assert downloaded.headers["x-operator-token"] == "op-secret"
    assert target.read_bytes() == b"<pain/>"
    assert "2 collections, 883.30 EUR" in result.output and "BE-INV-2026-000009 (paid meanwhile)" in result.output


def test_issue15_sepa_file_downloads_a_file_again_and_says_billings_refusal(billing_service, tmp_path):
    answers, _ = billing_service
    answers[("POST", "/ops/sepa/collection-files")] = httpx.Response(
        409, json={"code": "nothing_to_collect", "message": "No collection of BE is pending."}
    )
    refused = runner.invoke(app, ["billing", "sepa-file", "BE"])
    assert refused.exit_code == 1 and "nothing_to_collect" in refused.output
    answers[("GET", "/ops/sepa/collection-files/BE-SDD-2026-000001.xml")] = httpx.Response(200, content=b"<pain/>")
    again = runner.invoke(app, ["billing", "sepa-file", "--get", "BE-SDD-2026-000001", "-o", str(tmp_path / "a.xml")])
    assert again.exit_code == 0, again.output
    assert (tmp_path / "a.xml").read_bytes() == b"<pain/>"
    neither = runner.invoke(app, ["billing", "sepa-file"])
    assert neither.exit_code != 0


def test_issue15_unassign_sends_the_reason_and_a_key_and_says_the_invoice_reopened(billing_service):
    answers, seen = billing_service
    answers[("POST", "/ops/bank-entries/2026030500004/unassignment")] = httpx.Response(
        200, json={"entry": {"outcome": "unmatched"}, "invoice": invoice("open", 10000)}
    )
    result = runner.invoke(
        app, ["billing", "unassign", "2026030500004", "--reason", "paid by Client B", "--idempotency-key", "k-7"]
    )
    assert result.exit_code == 0, result.output
    [request] = seen
    assert json.loads(request.content) == {"reason": "paid by Client B"}
    assert request.headers["idempotency-key"] == "k-7" and request.headers["x-operator-token"] == "op-secret"
    assert "Idempotency-Key k-7" in result.output
    assert "no longer pays BE-INV-2026-000001: open, 100.00 EUR open" in result.output


def test_issue15_unassign_needs_a_reason_and_says_billings_refusal(billing_service):
    answers, seen = billing_service
    assert runner.invoke(app, ["billing", "unassign", "2026030500004"]).exit_code == 2 and seen == []
    answers[("POST", "/ops/bank-entries/FEE-1/unassignment")] = httpx.Response(
        409, json={"code": "entry_not_matched", "message": "Only a credit that paid an invoice can be unassigned."}
    )
    refused = runner.invoke(app, ["billing", "unassign", "FEE-1", "--reason", "wrong"])
    assert refused.exit_code == 1 and "409 entry_not_matched" in refused.output
    assert "Idempotency-Key" in refused.output  # printed first: a retry after a failure can repeat it
