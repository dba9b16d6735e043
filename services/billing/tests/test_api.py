"""Billing's HTTP routes in process over SQLite: pages of invoices and lines (issue 11 item 16),
"not yours" answered as "does not exist" (item 15), and the OpenAPI document (item 22)."""

from __future__ import annotations

import uuid
from datetime import timedelta

from contracts.values import BillingCycle
from servicekit.http.auth import Caller
from servicekit.http.pagination import MAX_PAGE_SIZE

ADA = Caller(person_id="p-ada", account_id="a-1", email="ada@example.com", name="Ada")
EVE = Caller(person_id="p-eve", account_id="a-eve", email="eve@example.com", name="Eve")
MEMBER = Caller(person_id="p-member", account_id="a-1", email="member@example.com", name="Mo")


def as_(service, caller: Caller) -> dict:
    return {"Authorization": f"Bearer {service.driver.token(caller)}"}


async def every_page(service, url: str, headers: dict, items=lambda body: body) -> tuple[list, int]:
    seen, pages = [], 0
    while url:
        answer = await service.get(url, headers=headers)
        assert answer.status_code == 200, answer.text
        seen += items(answer.json())
        pages += 1
        link = answer.headers.get("Link")
        assert (link is None) == (answer.headers.get("X-Next-Cursor") is None)
        url = link[1 : link.index(">")] if link else None
    return seen, pages


async def test_invoices_come_newest_first_a_page_at_a_time_each_once(service, events):
    for n in range(5):
        await service.driver.apply(*events.bought(sid=f"s-{n}"))  # annual: one invoice each at once
    seen, pages = await every_page(service, "/invoices?limit=2", as_(service, ADA))
    numbers = [invoice["number"] for invoice in seen]
    assert (numbers, pages) == ([f"BE-INV-2026-00000{n}" for n in (5, 4, 3, 2, 1)], 3)
    too_big = await service.get(f"/invoices?limit={MAX_PAGE_SIZE + 1}", headers=as_(service, ADA))
    assert too_big.status_code == 422


async def test_invoice_lines_come_a_page_at_a_time_with_the_total_of_all(service, events):
    await service.driver.apply(*events.bought(cycle=BillingCycle.MONTHLY))
    for n in range(5):
        await service.driver.apply(events.seats_changed(2 + n, 3 + n, events.START + timedelta(days=n + 1)))
    headers = as_(service, ADA)
    first = (await service.get("/subscriptions/s-1/invoice-lines?limit=2", headers=headers)).json()
    lines, pages = await every_page(
        service, "/subscriptions/s-1/invoice-lines?limit=2", headers, lambda body: body["lines"]
    )
    assert (len(lines), len({line["line_id"] for line in lines}), pages) == (5, 5, 3)
    assert first["total"]["amount_minor"] == sum(line["amount"]["amount_minor"] for line in lines)


async def test_another_account_s_lines_and_invoices_answer_as_unknown_ones(service, events):
    """Issue 11 item 15: "not yours" and "does not exist" give the same answer."""
    await service.driver.apply(*events.bought())
    [invoice] = (await service.get("/invoices", headers=as_(service, ADA))).json()
    for stranger in (EVE, MEMBER):
        for path in ("/subscriptions/{}/invoice-lines", "/invoices/{}", "/invoices/{}.html"):
            known = path.format("s-1" if "lines" in path else invoice["invoice_id"])
            theirs = await service.get(known, headers=as_(service, stranger))
            unknown = await service.get(path.format(uuid.uuid4()), headers=as_(service, stranger))
            assert theirs.status_code == unknown.status_code == 404, (stranger, path)
            assert theirs.json()["code"] == unknown.json()["code"]


async def test_every_billing_operation_says_who_may_call_it_and_answers_a_real_schema(service):
    schema = (await service.get("/openapi.json")).json()
    ours = {p: ops for p, ops in schema["paths"].items() if p.startswith(("/invoices", "/subscriptions"))}
    assert set(ours) == {
        "/subscriptions/{subscription_id}/invoice-lines",
        "/invoices",
        "/invoices/{invoice_id}.html",
        "/invoices/{invoice_id}.pdf",
        "/invoices/{invoice_id}/e-invoice",
        "/invoices/{invoice_id}",
    }
    for path, operations in ours.items():
        for method, operation in operations.items():
            assert len(operation.get("description", "")) > 20, (method, path)
            assert operation["responses"]["200"]["content"], (method, path)
    listed = ours["/invoices"]["get"]
    assert {p["name"] for p in listed["parameters"]} >= {"limit", "cursor"}
    assert listed["responses"]["200"]["content"]["application/json"]["schema"]["type"] == "array"
