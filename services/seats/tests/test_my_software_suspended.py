"""Issue 15, item 6: "My software" (`GET /me/software`, R40) tells a seat user that a
subscription is suspended for an overdue invoice, and since when: its item carries
`payment_overdue: {suspended_at}` while a suspended period covers now, null otherwise. The
invoice (its id, number, amount) is the administrator's business and is never in the answer.
On SQLite and PostgreSQL."""

from __future__ import annotations

from datetime import datetime, timedelta

import pytest

from contracts.testing import SUBSCRIPTION_ID
from contracts.values import LicenceType

from .conftest import T0
from .test_handlers import TERM_END
from .test_payment_suspension import ANN, OTHER_SUBSCRIPTION, SUSPENDED_AT, pool_with_ann, reinstated, suspended


@pytest.fixture
def seats(seats_on_each_database):
    return seats_on_each_database


async def my_software(seats) -> tuple[dict[str, dict], str]:
    """Ann's "My software" by subscription, and the answer's raw text."""
    async with seats.client(ANN) as http:
        answer = await http.get("/me/software")
    assert answer.status_code == 200, answer.text
    return {item["subscription_id"]: item for item in answer.json()["software"]}, answer.text


async def test_issue_15_a_suspended_subscription_is_listed_with_the_date_it_was_suspended(seats):
    await pool_with_ann(seats)
    found, _ = await my_software(seats)
    assert found[SUBSCRIPTION_ID]["payment_overdue"] is None
    await seats.deliver(suspended())
    found, _ = await my_software(seats)
    item = found[SUBSCRIPTION_ID]
    # Still listed: the seat stays hers (nothing revoked), but it is marked as not usable.
    assert (item["assigned"], item["product"]) == (True, "designer")
    assert datetime.fromisoformat(item["payment_overdue"]["suspended_at"]) == SUSPENDED_AT


async def test_issue_15_a_seat_user_learns_only_the_date_not_the_invoice(seats):
    await pool_with_ann(seats)
    await seats.deliver(suspended("inv-7", number="INV-2026-424242"))
    found, text = await my_software(seats)
    assert set(found[SUBSCRIPTION_ID]["payment_overdue"]) == {"suspended_at"}
    for secret in ("inv-7", "INV-2026-424242", "109500"):
        assert secret not in text, secret


async def test_issue_15_only_the_suspended_subscription_is_marked(seats):
    """Ann holds seats of two subscriptions; only the one whose invoice is overdue is marked."""
    await pool_with_ann(seats, tier="premium")
    await pool_with_ann(seats, OTHER_SUBSCRIPTION, tier="standard", licence_type=LicenceType.FLOATING)
    await seats.deliver(suspended())
    found, _ = await my_software(seats)
    assert found[SUBSCRIPTION_ID]["payment_overdue"] is not None
    assert found[OTHER_SUBSCRIPTION]["payment_overdue"] is None


async def test_issue_15_a_period_not_covering_now_does_not_mark_it_and_payment_clears_it(seats):
    await pool_with_ann(seats)
    next_term = SUSPENDED_AT + timedelta(days=3)
    await seats.deliver(
        suspended(
            "inv-1",
            (SUBSCRIPTION_ID, T0 - timedelta(days=365), T0),  # over
            (SUBSCRIPTION_ID, next_term, TERM_END),  # not started
        )
    )
    found, _ = await my_software(seats)
    assert found[SUBSCRIPTION_ID]["payment_overdue"] is None
    seats.clock.set(next_term)
    found, _ = await my_software(seats)
    assert found[SUBSCRIPTION_ID]["payment_overdue"] is not None
    await seats.deliver(reinstated(why="paid"))
    found, _ = await my_software(seats)
    assert found[SUBSCRIPTION_ID]["payment_overdue"] is None


async def test_issue_15_the_field_is_described_in_the_openapi(seats):
    async with seats.client() as http:
        schema = (await http.get("/openapi.json")).json()
    item = schema["components"]["schemas"]["SoftwareItem"]["properties"]["payment_overdue"]
    assert "Issue 15" in item["description"] and "administrator" in item["description"]
    notice = schema["components"]["schemas"]["PaymentOverdueNotice"]
    assert set(notice["properties"]) == {"suspended_at"}
