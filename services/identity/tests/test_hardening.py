"""Identity against an attacker (issue 11): links never built from the Host header (item 4),
sign-in that neither leaks nor locks the owner out (item 8), registration that tells nothing
and that an unverified squatter cannot block (items 8, 14), edge validation of free text
(item 2), paginated lists (item 16), documented answers (item 22) and token lifetimes.

In process over HTTP (SQLite, a fixed clock, no broker); client addresses are the ASGI
transport's, as uvicorn would report them."""

from __future__ import annotations

import base64
import functools
import json
from datetime import timedelta

import pytest
from fastapi.routing import APIRoute
from sqlalchemy import select

from contracts.testing import T0
from identity.adapters import passwords
from identity.app import build
from identity.settings import IdentitySettings
from identity.store.tables import accounts, people
from servicekit.clock import SharedTestClock
from servicekit.store.tables import due_jobs

from .test_api import PASSWORD, latest_token, published, register, sign_in, signed_in

NOW = T0  # as in conftest.py
OWNER_ADDRESS, GUESSER_ADDRESS = "198.51.100.10", "203.0.113.66"
OPERATOR_TOKEN = "operator-" + "o" * 32
PORTAL_URL = "https://portal.example.com"


@pytest.fixture
def driver_of(driver_of):
    """Identity services with a public URL, as in production (unless a test gives another)."""
    return functools.partial(driver_of, portal_url=PORTAL_URL)


@pytest.fixture
async def driver(driver_of):
    return await driver_of()


@pytest.fixture
async def service(driver):
    return driver.from_()


async def outbox_text(service) -> str:
    types = ("identity.verification_email_requested", "identity.contact_added")
    return json.dumps([e for t in types for e in await published(service, t)])


# -- item 4: links are built from configuration only ----------------------------------------------


async def test_a_forged_host_header_never_reaches_a_mailed_link(driver):
    evil = driver.from_(host="evil.example")
    ada = await register(evil, "ada@example.com")
    assert (await evil.post("/verifications/resend", json={"email": "ada@example.com"})).status_code == 202
    token = await latest_token(evil, ada["person_id"])
    signed = await driver.from_().post("/verifications", json={"token": token})
    assert signed.status_code == 200
    access = (await sign_in(evil)).json()["access_token"]
    invited = await evil.post(
        f"/accounts/{ada['account_id']}/contacts",
        headers={"Authorization": f"Bearer {access}"},
        json={"email": "cy@example.com", "first_name": "Cy", "last_name": "Clerk"},
    )
    assert invited.status_code == 201

    mailed = await outbox_text(evil)
    assert "evil.example" not in mailed
    assert mailed.count("https://portal.example.com/verifications?token=") == 2
    assert "https://portal.example.com/people/registration?email=cy%40example.com" in mailed


async def test_without_a_portal_url_a_test_stack_links_to_the_make_run_portal_never_to_the_host_asked(
    driver_of, tmp_path
):
    clock_file = tmp_path / "clock.json"
    SharedTestClock(clock_file).set_frozen(NOW)
    driver = await driver_of(clock=SharedTestClock(clock_file), portal_url="", http_port=8101)
    evil = driver.from_(host="evil.example")
    await register(evil, "ada@example.com")
    await evil.post("/verifications/resend", json={"email": "ada@example.com"})

    mailed = await outbox_text(evil)
    assert "evil.example" not in mailed
    assert mailed.count("http://127.0.0.1:8100/verifications?token=") == 2


@pytest.mark.parametrize(
    "portal_url, refused",
    [
        ("", True),
        ("http://id.example.com", True),
        ("id.example.com", True),
        ("https://id.example.com/?next=x", True),
        ("https://id.example.com", False),
        ("http://127.0.0.1:8101", False),  # loopback: a local trial (the compose default), not the internet
    ],
)
def test_a_production_start_needs_an_https_portal_url(portal_url, refused):
    problems = [p for p in IdentitySettings(portal_url=portal_url).production_problems() if "PORTAL_URL" in p]
    assert bool(problems) is refused


async def test_identity_on_real_time_refuses_to_start_without_a_portal_url(tmp_path, monkeypatch):
    from servicekit.runtime import UnsafeConfiguration

    settings = IdentitySettings(
        database_url=f"sqlite:///{tmp_path}/real.db", var_dir=str(tmp_path), token_secret="s" * 40, portal_url=""
    )
    runtime = build(settings)  # no test clock: the system's
    with pytest.raises(UnsafeConfiguration, match="PORTAL_URL"):
        await runtime.start()
    await runtime.db.dispose()


# -- item 8: sign-in that neither leaks nor locks ---------------------------------------------------


class CountingHasher:
    """The real argon2 hasher, counting how many passwords it verifies."""

    def __init__(self, real) -> None:
        self.real, self.verifications = real, 0

    def hash(self, password: str) -> str:
        return self.real.hash(password)

    def verify(self, password_hash: str, password: str) -> bool:
        self.verifications += 1
        return self.real.verify(password_hash, password)


async def test_an_unknown_email_costs_the_same_one_password_verification_as_a_known_one(service, monkeypatch):
    await signed_in(service)
    counting = CountingHasher(passwords.hasher)
    monkeypatch.setattr(passwords, "hasher", counting)

    known = await sign_in(service, "ada@example.com", "Wrong-Horse-1")
    assert (known.status_code, counting.verifications) == (401, 1)
    unknown = await sign_in(service, "nobody@example.com", "Wrong-Horse-1")
    assert (unknown.status_code, counting.verifications) == (401, 2)
    assert unknown.json() == known.json()
    assert (await sign_in(service)).status_code == 200 and counting.verifications == 3


async def test_the_owner_signs_in_from_a_clean_address_while_the_guessers_address_is_blocked(driver, monkeypatch):
    await signed_in(driver.from_(OWNER_ADDRESS))
    guesser, owner = driver.from_(GUESSER_ADDRESS), driver.from_(OWNER_ADDRESS)
    for _ in range(5):
        assert (await sign_in(guesser, password="Wrong-Horse-1")).status_code == 401
    counting = CountingHasher(passwords.hasher)
    monkeypatch.setattr(passwords, "hasher", counting)

    blocked = await sign_in(guesser)  # even the right password: this address keeps failing
    assert (blocked.status_code, blocked.json()["code"], blocked.headers["Retry-After"]) == (
        429,
        "too_many_sign_in_attempts",
        "30",
    )
    assert counting.verifications == 0  # refused without checking anything
    assert (await sign_in(owner)).status_code == 200
    assert (await sign_in(guesser)).status_code == 429  # the owner's success lifts nothing for them


async def test_spraying_one_guess_per_email_from_one_address_is_refused_after_the_per_client_limit(
    driver, clock, monkeypatch
):
    await signed_in(driver.from_(OWNER_ADDRESS))
    sprayer = driver.from_(GUESSER_ADDRESS)
    for n in range(20):
        assert (await sign_in(sprayer, f"user{n}@example.com", "Summer-2026!")).status_code == 401
    counting = CountingHasher(passwords.hasher)
    monkeypatch.setattr(passwords, "hasher", counting)
    refused = await sign_in(sprayer, "ada@example.com", "Summer-2026!")
    assert (refused.status_code, refused.json()["code"]) == (429, "sign_in_failures_per_client_exceeded")
    assert int(refused.headers["Retry-After"]) <= 15 * 60 and counting.verifications == 0
    assert (await sign_in(driver.from_(OWNER_ADDRESS))).status_code == 200  # another address is not slowed

    clock.advance(timedelta(minutes=15))
    assert (await sign_in(sprayer, "user0@example.com", "Summer-2026!")).status_code == 401


async def test_failed_sign_ins_spread_over_many_addresses_meet_the_service_wide_limit(driver_of):
    driver = await driver_of(sign_in_failures_per_minute=5)
    await signed_in(driver.from_(OWNER_ADDRESS))
    for n in range(5):
        assert (await sign_in(driver.from_(f"192.0.2.{n}"), f"user{n}@example.com", "Summer-2026!")).status_code == 401
    refused = await sign_in(driver.from_("192.0.2.99"), "user9@example.com", "Summer-2026!")
    assert (refused.status_code, refused.json()["code"]) == (429, "sign_in_failures_exceeded")
    assert refused.headers["Retry-After"] == "60"


async def test_registering_an_existing_email_answers_like_a_new_one_and_the_owner_is_emailed(service):
    await signed_in(service)
    new = await service.post("/accounts", json=registration("newcomer@example.com"))
    taken = await service.post("/accounts", json=registration("ada@example.com"))
    assert new.status_code == taken.status_code == 201
    assert new.json().keys() == taken.json().keys() == {"account_id", "person_id", "email_verified"}
    assert taken.json()["email_verified"] is False

    async with service.driver.runtime.db.connect() as conn:
        assert (await conn.execute(select(people.c.id).where(people.c.email == "ada@example.com"))).all() != [
            (taken.json()["person_id"],)
        ]
        assert len((await conn.execute(select(accounts.c.id))).all()) == 2  # Ada's and the newcomer's
    [attempt] = await published(service, "identity.registration_attempted")
    assert (attempt["data"]["person"]["email"], attempt["data"]["attempted_at"]) == (
        "ada@example.com",
        NOW.isoformat().replace("+00:00", "Z"),
    )
    assert (await sign_in(service)).status_code == 200  # Ada's password did not change


async def test_registration_notices_to_one_address_stop_after_five_an_hour_and_answer_the_same(service, clock):
    await signed_in(service)
    for _ in range(7):
        assert (await service.post("/people", json=registration("ada@example.com", company=None))).status_code == 201
    # The registration e-mailed one link; four notices more, then nothing until the hour ends.
    assert len(await published(service, "identity.registration_attempted")) == 4
    clock.advance(timedelta(hours=1))
    await service.post("/people", json=registration("ada@example.com", company=None))
    assert len(await published(service, "identity.registration_attempted")) == 5


def registration(
    email: str, company: str | None = "Globex", password: str = PASSWORD, name: str = "Someone Else"
) -> dict:
    body = {"email": email, "password": password, "name": name, "accept_terms": True}
    return {**body, "company_name": company} if company else body


# -- item 14: an unverified registration squats nothing ---------------------------------------------


async def test_an_unverified_registration_does_not_block_the_owner_nor_give_them_its_company(driver_of):
    service = (await driver_of(operator_token=OPERATOR_TOKEN)).from_()
    squatter = await service.post(
        "/accounts", json=registration("ada@example.com", "Squat Ltd", "Squatter-Pass-1", "Mallory")
    )
    squatted_link = await latest_token(service, squatter.json()["person_id"])

    owner = await service.post("/accounts", json=registration("ada@example.com", "Acme", PASSWORD, "Ada Admin"))
    assert owner.status_code == 201
    assert owner.json()["person_id"] == squatter.json()["person_id"]  # one person per mailbox
    replaced = await service.post("/verifications", json={"token": squatted_link})
    assert (replaced.status_code, replaced.json()["code"]) == (409, "link_replaced")
    fresh = await latest_token(service, owner.json()["person_id"])
    assert (await service.post("/verifications", json={"token": fresh})).status_code == 200

    assert (await sign_in(service, password="Squatter-Pass-1")).status_code == 401
    signed = await sign_in(service)
    headers = {"Authorization": f"Bearer {signed.json()['access_token']}"}
    mine = (await service.get("/me/accounts", headers=headers)).json()
    assert [(m["account_id"], m["company_name"]) for m in mine] == [(owner.json()["account_id"], "Acme")]
    squat_ltd = squatter.json()["account_id"]
    [withdrawn] = await published(service, "identity.account_withdrawn")
    assert withdrawn["subject"] == squat_ltd
    assert (await service.get(f"/accounts/{squat_ltd}", headers=headers)).status_code == 404
    async with service.driver.runtime.db.connect() as conn:
        assert (await conn.execute(select(accounts.c.status).where(accounts.c.id == squat_ltd))).scalar() == "withdrawn"
        due = (await conn.execute(select(due_jobs.c.subject).where(due_jobs.c.done_at.is_(None)))).scalars().all()
    assert due == [owner.json()["account_id"]]  # the withdrawn account's R3 deadline is gone
    refused = await service.post(
        f"/ops/accounts/{squat_ltd}/verification", headers={"X-Operator-Token": OPERATOR_TOKEN}
    )
    assert (refused.status_code, refused.json()["code"]) == (409, "account_withdrawn")


async def test_invitations_to_a_squatted_address_go_to_whoever_verifies_the_mailbox(service):
    acme, ada = await signed_in(service)
    await service.post(
        f"/accounts/{acme['account_id']}/contacts",
        headers=ada,
        json={"email": "cy@example.com", "first_name": "Cy", "last_name": "Clerk"},
    )
    await service.post("/people", json=registration("cy@example.com", None, "Squatter-Pass-1", "Mallory"))
    cy = await service.post("/people", json=registration("cy@example.com", None, PASSWORD, "Cy Clerk"))
    await service.post("/verifications", json={"token": await latest_token(service, cy.json()["person_id"])})

    signed = await sign_in(service, "cy@example.com")
    mine = await service.get("/me/accounts", headers={"Authorization": f"Bearer {signed.json()['access_token']}"})
    assert [m["account_id"] for m in mine.json()] == [acme["account_id"]]


# -- item 2: free text that could split a header is refused at the edge -----------------------------


@pytest.mark.parametrize(
    "route, field, value",
    [
        ("/accounts", "name", "Ada\r\nBcc: everyone@example.com"),
        ("/accounts", "company_name", "Acme\nInc"),
        ("/accounts", "email", "ada@example.com, eve@example.com"),
        ("/accounts", "email", "ada@example.com\r\nBcc: eve@example.com"),
        ("/people", "name", "Ada\x00"),
        ("/verifications/resend", "email", "a@x.com, b@y.com"),
        ("/tokens", "email", "ada@example.com\n"),
    ],
)
async def test_control_characters_and_address_lists_are_refused_422_at_the_edge(service, route, field, value):
    body = {**registration("ada@example.com"), "email": "ada@example.com", field: value}
    answer = await service.post(route, json=body)
    assert answer.status_code == 422, answer.text
    assert await published(service, "identity.person_registered") == []


@pytest.mark.parametrize(
    "field, value",
    [
        ("first_name", "Cy\r\nBcc: x@example.com"),
        ("email", "cy@example.com, eve@example.com"),
        ("last_name", "Clerk\u2028"),
    ],
)
async def test_a_contact_with_a_line_break_or_two_addresses_is_refused_422(service, field, value):
    acme, ada = await signed_in(service)
    contact = {"email": "cy@example.com", "first_name": "Cy", "last_name": "Clerk", field: value}
    answer = await service.post(f"/accounts/{acme['account_id']}/contacts", headers=ada, json=contact)
    assert answer.status_code == 422, answer.text
    assert await published(service, "identity.contact_added") == []


async def test_an_id_with_a_line_break_in_the_path_is_refused_422(service):
    _, ada = await signed_in(service)
    answer = await service.get("/accounts/a%0D%0ASet-Cookie:x", headers=ada)
    assert (answer.status_code, answer.json()["code"]) == (422, "invalid_request")


# -- item 16: lists come a page at a time -------------------------------------------------------------


async def test_contacts_and_my_accounts_come_a_page_at_a_time(service, clock):
    acme, ada = await signed_in(service)
    url = f"/accounts/{acme['account_id']}/contacts"
    for n in range(4):
        clock.advance(timedelta(minutes=1))  # in the order they were added
        await service.post(
            url, headers=ada, json={"email": f"c{n}@example.com", "first_name": "C", "last_name": str(n)}
        )
    first = await service.get(url, headers=ada, params={"limit": 2})
    assert [c["email"] for c in first.json()] == ["ada@example.com", "c0@example.com"]
    assert 'rel="next"' in first.headers["Link"]
    rest, seen = first, []
    while "X-Next-Cursor" in rest.headers:
        rest = await service.get(url, headers=ada, params={"limit": 2, "cursor": rest.headers["X-Next-Cursor"]})
        seen += [c["email"] for c in rest.json()]
    assert seen == ["c1@example.com", "c2@example.com", "c3@example.com"]
    assert (await service.get(url, headers=ada, params={"limit": 501})).status_code == 422

    _, globex = await signed_in(service, "bob@example.com", "Globex")
    globex_id = (await service.get("/me/accounts", headers=globex)).json()[0]["account_id"]
    await service.post(
        f"/accounts/{globex_id}/contacts",
        headers=globex,
        json={"email": "ada@example.com", "first_name": "Ada", "last_name": "Admin"},
    )
    page = await service.get("/me/accounts", headers=ada, params={"limit": 1})
    assert [a["company_name"] for a in page.json()] == ["Acme"]
    after = await service.get("/me/accounts", headers=ada, params={"cursor": page.headers["X-Next-Cursor"]})
    assert [a["company_name"] for a in after.json()] == ["Globex"] and "Link" not in after.headers


# -- item 22: every route says what it answers and who may call it -----------------------------------


def test_every_identity_route_documents_its_answer_and_who_may_call_it(tmp_path):
    runtime = build(
        IdentitySettings(
            database_url=f"sqlite:///{tmp_path}/doc.db", var_dir=str(tmp_path), clock_file=str(tmp_path / "clock.json")
        )
    )
    ours = {
        (route.path, method)
        for route in runtime.app.routes  # identity's own, not the kit's
        if isinstance(route, APIRoute) and route.endpoint.__module__.startswith("identity.")
        for method in route.methods
    }
    schema = runtime.app.openapi()
    for path, method in ours:
        operation = schema["paths"][path][method.lower()]
        assert operation.get("description"), f"{method} {path}: who may call it?"
        for status, response in operation["responses"].items():
            if status.startswith("2") and status != "204":
                if "application/json" not in response["content"]:  # a file (R44): said to be bytes
                    binary = response["content"]["application/octet-stream"]["schema"]
                    assert binary == {"type": "string", "format": "binary"}, f"{method} {path} {status}"
                    continue
                body = response["content"]["application/json"]["schema"]
                assert body not in ({}, {"type": "object"}) and "additionalProperties" not in body, (
                    f"{method} {path} {status}: {body}"
                )
    assert len(ours) >= 14


# -- tokens live TOKEN_TTL_SECONDS ---------------------------------------------------------------------


async def test_tokens_live_the_configured_ttl(driver_of):
    service = (await driver_of(token_ttl_seconds=600)).from_()
    await signed_in(service)
    answer = (await sign_in(service)).json()
    claims = json.loads(base64.urlsafe_b64decode(answer["access_token"].split(".")[1] + "=="))
    assert (claims["exp"] - claims["iat"], answer["expires_in"]) == (600, 600)
    assert claims["sid"]
