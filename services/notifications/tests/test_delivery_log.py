"""The delivery log over HTTP: your own e-mails; an event's or a person's e-mails for the
administrator of what they are about (R6), within the account acted for (R2); nothing else,
and nothing that tells "not yours" from "does not exist" (issue 11, item 15); in pages."""

from __future__ import annotations

from datetime import timedelta

import pytest

from notifications.domain.access import AdministratorNamed, LogEntry, Reader, administrator_named, may_read
from notifications.store.emails import EmailRepository, readable_by
from notifications.store.tables import administrators, emails

from .samples import ACCOUNT, AT, SID, invited, invoice, purchased, transferred, unassigned, verification

ADMIN, NEW_ADMIN, USER = "p-1", "p-2", "u-1"


async def test_R6_the_administrator_reads_what_an_event_caused_with_its_status(notifications, sink):
    [_, envelope] = await notifications.consume(purchased(), invited("fr"))
    await notifications.send_round()

    answer = await notifications.get(f"/deliveries?caused_by={envelope.id}", ADMIN, ACCOUNT)
    assert answer.status_code == 200
    [entry] = answer.json()
    assert {
        k: entry[k]
        for k in (
            "template",
            "locale",
            "recipient_id",
            "caused_by",
            "subscription_id",
            "status",
            "attempts",
            "last_error",
            "next_attempt_at",
            "rejected_at",
        )
    } == {
        "template": "invitation",
        "locale": "fr",
        "recipient_id": USER,
        "caused_by": envelope.id,
        "subscription_id": SID,
        "status": "sent",
        "attempts": 1,
        "last_error": None,
        "next_attempt_at": None,
        "rejected_at": None,
    }
    assert entry["sent_at"].startswith(AT.date().isoformat()) and "text" not in entry and "html" not in entry


async def test_R6_the_administrator_reads_a_users_emails_and_sees_a_rejection(notifications, sink):
    user_gone = unassigned().model_copy(
        update={"user": invited().user.model_copy(update={"email": "gone@example.com"})}
    )
    await notifications.consume(purchased(), invited(), user_gone)
    await notifications.send_round()

    entries = (await notifications.get(f"/deliveries?recipient={USER}", ADMIN, ACCOUNT)).json()
    assert [(e["template"], e["status"]) for e in sorted(entries, key=lambda e: e["template"])] == [
        ("access_removed", "rejected"),
        ("invitation", "sent"),
    ]
    rejected = next(e for e in entries if e["status"] == "rejected")
    assert rejected["last_error"].startswith("550") and rejected["attempts"] == 1 and rejected["rejected_at"]


async def test_R33_scope_all_is_every_email_the_caller_may_read_in_one_list(notifications, sink):
    """The portal's e-mail history: the administrator's own and those about what they
    administer, in one paged list; a user reads only their own, as without the scope."""
    await notifications.consume(purchased(), invited("fr"))
    everything = (await notifications.get("/deliveries?scope=all", ADMIN, ACCOUNT)).json()
    assert sorted((e["template"], e["recipient_id"]) for e in everything) == [
        ("agreement", ADMIN),
        ("invitation", USER),
    ]
    assert [e["template"] for e in (await notifications.get("/deliveries", ADMIN, ACCOUNT)).json()] == ["agreement"]
    assert [e["recipient_id"] for e in (await notifications.get("/deliveries?scope=all", USER, ACCOUNT)).json()] == [
        USER
    ]
    # acting for another account: their own e-mails still, nothing about this account's users
    elsewhere = (await notifications.get("/deliveries?scope=all", ADMIN, "another-account")).json()
    assert [e["recipient_id"] for e in elsewhere] == [ADMIN]


async def test_item15_anothers_emails_answer_like_a_person_or_an_event_that_does_not_exist(notifications, sink):
    """`?recipient=` once answered 403 for a real person and 200 [] for an unknown one: an
    oracle of who exists. Both answer 200 [] now; one's own e-mails are still there."""
    [_, envelope] = await notifications.consume(purchased(), invited())
    [own] = (await notifications.get("/deliveries", USER, ACCOUNT)).json()
    assert (own["template"], own["status"], own["attempts"]) == ("invitation", "pending", 0)

    not_yours = await notifications.get(f"/deliveries?recipient={ADMIN}", USER, ACCOUNT)
    nobody = await notifications.get("/deliveries?recipient=no-such-person", USER, ACCOUNT)
    assert (not_yours.status_code, not_yours.json()) == (nobody.status_code, nobody.json()) == (200, [])
    other_event = await notifications.get(f"/deliveries?caused_by={envelope.id}", "p-9", ACCOUNT)
    no_event = await notifications.get("/deliveries?caused_by=no-such-event", "p-9", ACCOUNT)
    assert (other_event.status_code, other_event.json()) == (no_event.status_code, no_event.json()) == (200, [])
    assert (await notifications.get(f"/deliveries?caused_by={envelope.id}", USER, ACCOUNT)).json() == [own]


async def test_R2_an_administrator_acting_for_another_account_reads_nothing_of_it(notifications, sink):
    [_, envelope] = await notifications.consume(purchased(), invited())
    answer = await notifications.get(f"/deliveries?caused_by={envelope.id}", ADMIN, "another-account")
    assert (answer.status_code, answer.json()) == (200, [])


async def test_R17_after_a_transfer_the_new_administrator_reads_the_log_and_the_previous_no_more(notifications, sink):
    [_, envelope] = await notifications.consume(purchased(), invited())
    notifications.clock.advance(timedelta(days=1))
    await notifications.consume(transferred().model_copy(update={"transferred_at": AT + timedelta(days=1)}))

    assert len((await notifications.get(f"/deliveries?caused_by={envelope.id}", NEW_ADMIN, ACCOUNT)).json()) == 1
    assert (await notifications.get(f"/deliveries?caused_by={envelope.id}", ADMIN, ACCOUNT)).json() == []


async def test_R34_a_verification_email_is_in_the_log_of_its_recipient_only(notifications, sink):
    [envelope] = await notifications.consume(verification())
    [own] = (await notifications.get("/deliveries", USER, ACCOUNT)).json()
    assert (own["template"], own["subscription_id"]) == ("verification", USER)
    assert (await notifications.get(f"/deliveries?caused_by={envelope.id}", ADMIN, ACCOUNT)).json() == []


async def test_R6_an_event_without_emails_yet_answers_an_empty_log(notifications):
    assert (await notifications.get("/deliveries?caused_by=nothing-yet", ADMIN, ACCOUNT)).json() == []


async def test_item16_the_log_comes_in_pages_oldest_first_with_a_link_to_the_next(notifications, sink):
    await notifications.consume(purchased())
    for n in range(4):  # five e-mails to the administrator, a minute apart
        notifications.clock.advance(timedelta(minutes=1))
        await notifications.consume(invoice().model_copy(update={"invoice_id": f"inv-{n}", "number": f"N-{n}"}))

    seen, path, pages = [], "/deliveries?limit=2", 0
    while path:
        answer = await notifications.get(path, ADMIN, ACCOUNT)
        assert answer.status_code == 200 and len(answer.json()) <= 2
        seen += answer.json()
        pages += 1
        next_link = answer.links.get("next", {}).get("url")
        assert (next_link is None) == ("X-Next-Cursor" not in answer.headers)
        path = next_link and next_link.removeprefix("http://notifications")
    assert pages == 3 and [e["template"] for e in seen] == ["agreement"] + ["invoice_issued"] * 4
    assert len({e["email_id"] for e in seen}) == 5

    too_big = await notifications.get("/deliveries?limit=501", ADMIN, ACCOUNT)
    forged = await notifications.get("/deliveries?cursor=bm90IGEgY3Vyc29y", ADMIN, ACCOUNT)
    assert (too_big.status_code, forged.status_code, forged.json()["code"]) == (422, 422, "invalid_cursor")


class Entry:
    def __init__(self, recipient_id: str, account_id: str, subscription_id: str) -> None:
        self.recipient_id, self.account_id, self.subscription_id = recipient_id, account_id, subscription_id


def test_R6_the_reading_rule_recipient_or_administrator_of_the_subject_or_its_account():
    entry: LogEntry = Entry(USER, ACCOUNT, SID)
    assert may_read(Reader(USER, "any"), entry, {})
    assert may_read(Reader(ADMIN, ACCOUNT), entry, {SID: ADMIN})
    assert may_read(Reader(ADMIN, ACCOUNT), entry, {ACCOUNT: ADMIN})
    assert not may_read(Reader(ADMIN, "other"), entry, {SID: ADMIN})
    assert not may_read(Reader("p-9", ACCOUNT), entry, {SID: ADMIN})
    assert not may_read(Reader(ADMIN, ""), Entry(USER, "", USER), {USER: ADMIN})


@pytest.mark.parametrize(
    "reader",
    [
        Reader(USER, ACCOUNT),
        Reader(ADMIN, ACCOUNT),
        Reader(NEW_ADMIN, ACCOUNT),
        Reader(ADMIN, "other"),
        Reader("p-9", ACCOUNT),
    ],
    ids=repr,
)
async def test_R6_the_query_of_the_log_applies_the_reading_rule(notifications, sink, reader):
    await notifications.consume(purchased(), invited(), verification(), invoice(), transferred())
    async with notifications.runtime.db.connect() as conn:
        every = await EmailRepository(conn).log()
        named = {r.subject_id: r.person_id for r in await conn.execute(administrators.select())}
        shown = {r.email_id for r in await conn.execute(emails.select().where(readable_by(reader)))}
    assert shown == {e.email_id for e in every if may_read(reader, e, named)}


def test_R17_only_subscriptions_events_name_the_administrator_of_a_subscription():
    assert administrator_named(transferred(), AT) == AdministratorNamed(SID, ACCOUNT, NEW_ADMIN, AT, "nia@example.com")
    assert administrator_named(purchased(), AT) == AdministratorNamed(SID, ACCOUNT, ADMIN, AT, "ada@example.com")
    # seats may not have applied a transfer yet: its events do not re-point the subscription
    assert administrator_named(invited(), AT) is None
    assert administrator_named(unassigned(), AT) is None and administrator_named(verification(), AT) is None
    assert administrator_named(invoice(), AT) == AdministratorNamed(ACCOUNT, ACCOUNT, ADMIN, AT, "ada@example.com")
