"""Seats against a hostile tenant, a forged event and a bad file, over the real stack (issue 11).

- A forged `subscription.activated` or `subscription.administrator_transferred`, produced
  straight onto the broker, changes nothing in seats and lands in `seats.dlq` as `inconsistent`.
- While a file of the maximum size is parsed, seats keeps answering `/health` within 100 ms.
- Unassigning a user takes back their floating seat at once, and says so on `seats.events.v1`.
- `GET /access` about someone else's seat answers as about nobody.
"""

from __future__ import annotations

import asyncio
import io
import threading
import time
import uuid
from datetime import datetime, timedelta

import httpx
import jwt
from openpyxl import Workbook

from contracts.envelope import Envelope
from contracts.subscriptions import AdministratorTransferred, SubscriptionActivated
from contracts.topics import SUBSCRIPTIONS_EVENTS
from contracts.values import BillingCycle, Contact, LicenceType, Money
from devkit.client import EntitleClient, EntitleError, eventually
from opskit.topicreader import events_of, produce_async, read_topic
from servicekit.messaging.relay import kafka_headers

HEALTH_BOUND_SECONDS = 0.100  # the acceptance criterion
MAX_ROWS = 50_000


def who(client: EntitleClient) -> Contact:
    claims = jwt.decode(client.token, options={"verify_signature": False})
    return Contact(person_id=claims["sub"], email=claims["email"], name=claims.get("name", ""))


def account_of(client: EntitleClient) -> str:
    return jwt.decode(client.token, options={"verify_signature": False})["acct"]


def stack_now(api: EntitleClient) -> datetime:
    return datetime.fromisoformat(api.call("subscriptions", "GET", "/ops/clock")["now"])


def forge(stack, api: EntitleClient, event) -> str:
    """Produce an event onto `subscriptions.events.v1` as anyone who reaches the broker could:
    the envelope and headers subscriptions' own relay would write. Returns its event id."""
    envelope = Envelope.wrap(event, source="subscriptions", time=stack_now(api))
    headers = [(k, v.encode()) for k, v in kafka_headers(envelope.id, envelope.type).items()]
    asyncio.run(
        produce_async(
            stack.config.bootstrap,
            SUBSCRIPTIONS_EVENTS.name,
            [(envelope.subject.encode(), envelope.to_json())],
            headers,
        )
    )
    return envelope.id


def dead_lettered(stack, event_id: str) -> dict[str, str]:
    """The `seats.dlq` headers of the forged record, once seats has given up on it."""

    def found():
        return next(
            (r.headers for r in read_topic(stack.config.bootstrap, "seats.dlq") if r.headers.get("ce_id") == event_id),
            None,
        )

    return eventually(found, timeout=30, what=f"{event_id} in seats.dlq")


def refused(attempt) -> EntitleError:
    try:
        attempt()
    except EntitleError as error:
        return error
    raise AssertionError("not refused")


def active_subscription(customer: EntitleClient, quantity: int, **plan) -> str:
    sid = customer.purchase(quantity=quantity, **plan)["id"]
    customer.accept(sid)
    eventually(lambda: customer.seats(sid)["status"] == "unlocked", what="unlocked pool")
    return sid


def test_R21_a_forged_activation_of_a_subscription_never_bought_opens_no_pool(stack, api):
    attacker = api.new_customer("Mallory")
    me, sid = who(attacker), f"forged-{uuid.uuid4().hex[:12]}"
    now = stack_now(api)
    event_id = forge(
        stack,
        api,
        SubscriptionActivated(
            subscription_id=sid,
            account_id=account_of(attacker),
            administrator=me,
            product="designer",
            tier="enterprise",
            licence_type=LicenceType.NAMED_USER,
            billing_cycle=BillingCycle.ANNUAL,
            quantity=500,
            unit_price=Money(amount_minor=0, currency="EUR"),
            activated_at=now,
            term_start=now,
            term_end=now + timedelta(days=365),
        ),
    )

    headers = dead_lettered(stack, event_id)
    assert (headers["dlq.reason"], headers["dlq.topic"]) == ("inconsistent", SUBSCRIPTIONS_EVENTS.name)
    assert refused(lambda: attacker.seats(sid)).status == 404  # no pool was opened
    assert refused(lambda: attacker.assign(sid, me.email)).status == 404
    answer = attacker.call("seats", "GET", f"/access?product=designer&email={me.email}")
    assert answer["allowed"] is False


def test_R17_a_forged_transfer_to_another_account_changes_nothing(stack, api, customer):
    sid = active_subscription(customer, quantity=2)
    attacker = api.new_customer("Mallory")
    victim, mallory = who(customer), who(attacker)
    forged = [
        AdministratorTransferred(
            subscription_id=sid,
            account_id=account_of(attacker),
            previous_administrator=victim,
            new_administrator=mallory,
            transferred_at=stack_now(api),
        ),
        AdministratorTransferred(
            subscription_id=sid,
            account_id=account_of(customer),
            previous_administrator=mallory,
            new_administrator=mallory,
            transferred_at=stack_now(api),
        ),
    ]
    for event in forged:
        assert dead_lettered(stack, forge(stack, api, event))["dlq.reason"] == "inconsistent"
    assert customer.seats(sid)["status"] == "unlocked"  # the administrator still administers it
    assert refused(lambda: attacker.seats(sid)).status == 404
    assert refused(lambda: attacker.assign(sid, mallory.email)).status == 404
    assert customer.assign(sid, "still-mine@example.com")["email"] == "still-mine@example.com"


def max_size_xlsx() -> bytes:
    """The largest file an import takes: 50,000 rows of plausible users."""
    book = Workbook(write_only=True)
    sheet = book.create_sheet("users")
    sheet.append(["email", "first_name", "last_name"])
    for n in range(MAX_ROWS):
        sheet.append([f"firstname.lastname{n}@example-company.com", f"Firstname{n}", f"Lastname-Family{n}"])
    out = io.BytesIO()
    book.save(out)
    return out.getvalue()


def test_R23_seats_answers_health_within_100_ms_while_a_maximum_size_upload_is_parsed(stack, customer):
    sid = active_subscription(customer, quantity=1)
    content, seats_url = max_size_xlsx(), customer.urls["seats"]
    answer: dict = {}

    def upload() -> None:
        answer["response"] = httpx.post(
            f"{seats_url}/subscriptions/{sid}/users/imports",
            timeout=300,
            files={"file": ("users.xlsx", content, "application/octet-stream")},
            headers={"Authorization": f"Bearer {customer.token}"},
        )

    latencies: list[float] = []
    with httpx.Client(base_url=seats_url, timeout=5) as probe:
        probe.get("/health")  # the connection is open before the clock starts
        uploading = threading.Thread(target=upload)
        uploading.start()
        while uploading.is_alive():
            started = time.perf_counter()
            assert probe.get("/health").status_code == 200
            latencies.append(time.perf_counter() - started)
            uploading.join(timeout=0.02)  # the next probe, or at once when the upload ends
        uploading.join()

    response = answer["response"]
    assert response.status_code == 201, response.text
    assert (response.json()["total"], response.json()["incomplete_count"]) == (MAX_ROWS, 0)
    assert len(latencies) >= 20, f"only {len(latencies)} probes: the upload was too quick to measure"
    # The probes are round trips from another process on a shared 2-core machine (CI runs a
    # second stack beside this one), so one of them can wait on the OS scheduler whatever
    # seats does: a blocked event loop shows in every probe of the parse (it took 15 s
    # before the parse left the loop), a busy machine in a few. So: 95 % of the answers
    # within the bound, and none slower than a second.
    ordered = sorted(latencies)
    p95 = ordered[int(0.95 * (len(ordered) - 1))]
    assert p95 < HEALTH_BOUND_SECONDS, f"95th percentile of /health {p95 * 1000:.0f} ms over {len(latencies)} probes"
    assert ordered[-1] < 1.0, f"worst /health {ordered[-1] * 1000:.0f} ms over {len(latencies)} probes"


def test_R23_a_file_past_the_limits_is_refused_and_nothing_is_kept(stack, customer):
    sid = active_subscription(customer, quantity=1)
    book = Workbook(write_only=True)
    sheet = book.create_sheet("users")
    sheet.append(["email", "first_name", "last_name"])
    for _ in range(200_000):  # the blank sheet
        sheet.append([None, None, None])
    out = io.BytesIO()
    book.save(out)
    response = httpx.post(
        f"{customer.urls['seats']}/subscriptions/{sid}/users/imports",
        timeout=120,
        files={"file": ("blank.xlsx", out.getvalue(), "application/octet-stream")},
        headers={"Authorization": f"Bearer {customer.token}"},
    )
    assert response.status_code == 422 and response.json()["code"] == "import_too_large", response.text
    assert "50,000 rows" in response.json()["message"]


def test_R24_unassigning_a_user_takes_back_their_floating_seat_at_once(stack, api, customer):
    sid = active_subscription(customer, quantity=1, licence_type="floating")
    colleague = api.new_customer("Col League")
    email = who(colleague).email
    [user] = customer.call(
        "seats",
        "POST",
        f"/subscriptions/{sid}/users",
        {"users": [{"email": email, "first_name": "Col", "last_name": "League"}], "assign_seats": True},
    )["users"]
    lease = colleague.call("seats", "POST", f"/subscriptions/{sid}/leases")
    query = f"/access?product=designer&email={email}"
    assert colleague.call("seats", "GET", query)["allowed"] is True

    customer.call("seats", "POST", f"/subscriptions/{sid}/users/unassign", {"user_ids": [user["user_id"]]})
    assert colleague.call("seats", "GET", query)["allowed"] is False  # at once, not in an hour
    assert refused(lambda: colleague.call("seats", "POST", f"/subscriptions/{sid}/leases")).code == "no_seat_assigned"
    [revoked] = eventually(
        lambda: [
            e["data"]
            for e in events_of(stack.config.bootstrap, "seats.events.v1", sid)
            if e["type"] == "seats.lease_revoked"
        ],
        what="lease_revoked published",
    )
    assert (revoked["lease_id"], revoked["reason"]) == (lease["lease_id"], "unassigned")


def test_R6_access_about_another_tenants_user_answers_as_about_nobody(stack, api, customer):
    sid = active_subscription(customer, quantity=1)
    customer.call(
        "seats",
        "POST",
        f"/subscriptions/{sid}/users",
        {"users": [{"email": "seated@example.com", "first_name": "Sea", "last_name": "Ted"}], "assign_seats": True},
    )
    assert customer.call("seats", "GET", "/access?product=designer&email=seated@example.com")["allowed"] is True
    stranger = api.new_customer("Nosy Parker")
    about_them = stranger.call("seats", "GET", "/access?product=designer&email=seated@example.com")
    about_nobody = stranger.call("seats", "GET", "/access?product=designer&email=nobody-at-all@example.com")
    assert about_them == about_nobody and about_them["allowed"] is False
