"""The HTTP edge of subscriptions, in process over SQLite: what a request may carry (issue 11
item 2), list pages (item 16), fixed-term dates (item 18) and the OpenAPI document (item 22)."""

from __future__ import annotations

import uuid
from datetime import timedelta

import pytest

from contracts.testing import T0
from servicekit.http.auth import Caller, issue_token
from servicekit.http.pagination import MAX_PAGE_SIZE

NOW = T0  # the service's clock (conftest.py): Monday 2026-01-05 09:00 UTC
ADA = Caller(person_id="p-ada", account_id="a-1", email="ada@example.com", name="Ada")


@pytest.fixture
async def service(driver):
    """An HTTP client on the service, signed in as Ada."""
    async with driver.client(ADA) as http:
        http.runtime = driver.runtime
        yield http


async def bought(service, **plan) -> dict:
    answer = await service.post("/subscriptions", json={"quantity": 2, "accept_terms_of_sale": True, **plan})
    assert answer.status_code == 201, answer.text
    return answer.json()


async def active(service) -> str:
    sid = (await bought(service))["id"]
    assert (await service.post(f"/subscriptions/{sid}/activation")).status_code == 200
    return sid


async def test_a_line_break_in_any_text_a_customer_types_is_refused_422_and_nothing_is_kept(service):
    """Issue 11 item 2: CR/LF once broke e-mail headers downstream; it now stops at the edge."""
    sid = await active(service)
    poison = "PO-1\r\nBcc: everyone@example.com"
    refused_bodies = [
        ("/subscriptions", {"quantity": 1, "po_number": poison}),
        ("/subscriptions", {"quantity": 1, "payment_method": "Visa\nending 4242"}),
        ("/subscriptions", {"quantity": 1, "project_id": "proj\r\n1"}),
        ("/subscriptions", {"quantity": 1, "product": "designer\n"}),
        ("/subscriptions/trials", {"product": "designer\r\n"}),
        (f"/subscriptions/{sid}/cancellation", {"reason": "too\r\nexpensive"}),
        (f"/subscriptions/{sid}/amendments", {"tier": "premium\n"}),
        (f"/subscriptions/{sid}/addons", {"addon": "cloud_storage\u2028"}),
        (f"/subscriptions/{sid}/administrator", {"email": "nia@example.com\r\nBcc: x@example.com"}),
    ]
    for path, body in refused_bodies:
        answer = await service.post(path, json=body)
        assert (answer.status_code, answer.json()["code"]) == (422, "invalid_request"), (path, body, answer.text)
    details = await service.put(f"/subscriptions/{sid}/purchase-details", json={"po_number": poison})
    assert details.status_code == 422
    listed = (await service.get("/subscriptions")).json()
    assert [s["id"] for s in listed] == [sid] and listed[0]["po_number"] is None


@pytest.mark.parametrize(
    "email",
    ["a@example.com, b@example.org", "a@example.com;b@example.org", "Nia <nia@example.com>", "nia@example.com\n"],
)
async def test_R17_a_transfer_to_anything_but_one_plain_address_is_refused_422(service, email):
    sid = await active(service)
    answer = await service.post(f"/subscriptions/{sid}/administrator", json={"email": email})
    assert (answer.status_code, answer.json()["code"]) == (422, "invalid_request")


async def test_R17_a_transfer_by_email_to_no_contact_of_the_company_is_409_saying_how(service):
    sid = await active(service)
    answer = await service.post(f"/subscriptions/{sid}/administrator", json={"email": "nia@example.com"})
    assert answer.status_code == 409
    body = answer.json()
    assert (body["code"], body["rule"]) == ("not_a_company_contact", "R17")
    assert "/accounts/a-1/contacts" in body["message"]


async def test_R11_a_fixed_term_may_end_on_the_first_date_its_refusal_names(service):
    """Issue 11 item 18, over HTTP: ordered 2026-01-05 09:00, a term may end 2026-02-04."""
    first = (NOW + timedelta(days=30)).date()
    too_early = await service.post(
        "/subscriptions",
        json={
            "quantity": 1,
            "billing_cycle": "term",
            "term_ends_on": (first - timedelta(days=1)).isoformat(),
            "accept_terms_of_sale": True,
        },
    )
    assert too_early.status_code == 422 and f"between {first.isoformat()} and" in too_early.json()["message"]
    on_the_day = await bought(service, billing_cycle="term", term_ends_on=first.isoformat())
    assert on_the_day["term_ends_on"].startswith(first.isoformat())
    assert await bought(service, billing_cycle="term", term_ends_on=(first + timedelta(days=1)).isoformat())


async def test_the_subscriptions_list_comes_a_page_at_a_time_each_once(service):
    ids = [(await bought(service))["id"] for _ in range(5)]
    seen, url, pages = [], "/subscriptions?limit=2", 0
    while url:
        answer = await service.get(url)
        assert answer.status_code == 200 and len(answer.json()) <= 2
        seen += [s["id"] for s in answer.json()]
        pages += 1
        link = answer.headers.get("Link")
        url = link[1 : link.index(">")] if link else None
        assert (link is None) == (answer.headers.get("X-Next-Cursor") is None)
    assert (sorted(seen), pages) == (sorted(ids), 3)
    too_big = await service.get(f"/subscriptions?limit={MAX_PAGE_SIZE + 1}")
    assert too_big.status_code == 422
    forged = await service.get("/subscriptions?cursor=bm90LWEtY3Vyc29y")
    assert (forged.status_code, forged.json()["code"]) == (422, "invalid_cursor")


async def test_another_account_s_subscription_and_an_unknown_one_answer_alike(service):
    """Issue 11 item 15: "not yours" and "does not exist" give the same 404 on every route."""
    sid = await active(service)
    eve = Caller(person_id="p-eve", account_id="a-eve", email="eve@example.com", name="Eve")
    token = issue_token(service.runtime.settings.token_secret, eve, NOW, timedelta(minutes=10))
    as_eve = {"Authorization": f"Bearer {token}"}
    for path in (
        "/subscriptions/{}",
        "/subscriptions/{}/agreement",
        "/subscriptions/{}/tier-change-preview?tier=premium",
    ):
        theirs = await service.get(path.format(sid), headers=as_eve)
        unknown = await service.get(path.format(uuid.uuid4()), headers=as_eve)
        assert theirs.status_code == unknown.status_code == 404
        assert theirs.json()["code"] == unknown.json()["code"] == "subscription_not_found"
    for path, body in (
        ("/subscriptions/{}/administrator", {"email": "eve@example.com"}),
        ("/subscriptions/{}/cancellation", {"reason": "mine now"}),
        ("/subscriptions/{}/activation", None),
    ):
        theirs = await service.post(path.format(sid), json=body, headers=as_eve)
        unknown = await service.post(path.format(uuid.uuid4()), json=body, headers=as_eve)
        assert theirs.status_code == unknown.status_code == 404, (path, theirs.text)


async def test_every_operation_says_who_may_call_it_and_answers_a_real_schema(service):
    """Issue 11 item 22: the activation used to answer `{}` in the schema."""
    schema = (await service.get("/openapi.json")).json()
    ours = {
        path: operations
        for path, operations in schema["paths"].items()
        if path.startswith(("/subscriptions", "/ops/subscriptions", "/ops/orders"))
    }
    assert len(ours) >= 15
    for path, operations in ours.items():
        for method, operation in operations.items():
            assert len(operation.get("description", "")) > 20, (method, path)
            [success] = [r for status, r in operation["responses"].items() if status.startswith("2")]
            # R36: the agreement's document is a file, plain text; everything else answers JSON.
            media = "text/plain" if path.endswith("/document") else "application/json"
            assert success["content"][media]["schema"], (method, path)
    activation = ours["/subscriptions/{subscription_id}/activation"]["post"]["responses"]["200"]
    assert activation["content"]["application/json"]["schema"] == {"$ref": "#/components/schemas/SubscriptionAnswer"}
    answer = schema["components"]["schemas"]["SubscriptionAnswer"]["properties"]
    assert {"id", "status", "administrator_id", "event_ids"} <= set(answer)
    transfer = schema["components"]["schemas"]["AdministratorRequest"]
    assert list(transfer["properties"]) == ["email"] and transfer["required"] == ["email"]
