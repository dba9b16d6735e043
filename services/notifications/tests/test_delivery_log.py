"""The delivery log over HTTP: your own e-mails; an event's or a person's e-mails for the
administrator of what they are about (R6), within the account acted for (R2)."""
from __future__ import annotations

from datetime import timedelta

from notifications.access import AdministratorNamed, LogEntry, Reader, administrator_named, may_read
from notifications.samples import ACCOUNT, AT, SID, invited, transferred, unassigned, verification

ADMIN, NEW_ADMIN, USER = "p-1", "p-2", "u-1"


async def test_R6_the_administrator_reads_what_an_event_caused_with_its_status(notifications, sink):
    [envelope] = await notifications.deliver(invited("fr"))
    await notifications.send_round()

    answer = await notifications.get(f"/deliveries?caused_by={envelope.id}", ADMIN, ACCOUNT)
    assert answer.status_code == 200
    [entry] = answer.json()
    assert {k: entry[k] for k in ("template", "locale", "recipient_id", "caused_by", "subscription_id",
                                  "status", "attempts", "last_error", "next_attempt_at", "rejected_at")} == {
        "template": "invitation", "locale": "fr", "recipient_id": USER, "caused_by": envelope.id,
        "subscription_id": SID, "status": "sent", "attempts": 1, "last_error": None,
        "next_attempt_at": None, "rejected_at": None}
    assert entry["sent_at"].startswith(AT.date().isoformat()) and "text" not in entry and "html" not in entry


async def test_R6_the_administrator_reads_a_users_emails_and_sees_a_rejection(notifications, sink):
    user_gone = unassigned().model_copy(update={"user": invited().user.model_copy(update={"email": "gone@example.com"})})
    await notifications.deliver(invited(), user_gone)
    await notifications.send_round()

    entries = (await notifications.get(f"/deliveries?recipient={USER}", ADMIN, ACCOUNT)).json()
    assert [(e["template"], e["status"]) for e in sorted(entries, key=lambda e: e["template"])] == [
        ("access_removed", "rejected"), ("invitation", "sent")]
    rejected = next(e for e in entries if e["status"] == "rejected")
    assert rejected["last_error"].startswith("550") and rejected["attempts"] == 1 and rejected["rejected_at"]


async def test_R6_a_user_reads_only_their_own_emails_and_is_refused_the_others(notifications, sink):
    [envelope] = await notifications.deliver(invited())
    [own] = (await notifications.get("/deliveries", USER, ACCOUNT)).json()
    assert (own["template"], own["status"], own["attempts"]) == ("invitation", "pending", 0)

    await notifications.deliver(transferred())
    refused = await notifications.get(f"/deliveries?recipient={ADMIN}", USER, ACCOUNT)
    assert (refused.status_code, refused.json()["rule"]) == (403, "R6")
    assert (await notifications.get(f"/deliveries?caused_by={envelope.id}", USER, ACCOUNT)).json() == [own]


async def test_R2_an_administrator_acting_for_another_account_is_refused(notifications, sink):
    [envelope] = await notifications.deliver(invited())
    refused = await notifications.get(f"/deliveries?caused_by={envelope.id}", ADMIN, "another-account")
    assert refused.status_code == 403


async def test_R17_after_a_transfer_the_new_administrator_reads_the_log_and_the_previous_no_more(notifications, sink):
    [envelope] = await notifications.deliver(invited())
    notifications.clock.advance(timedelta(days=1))
    await notifications.deliver(transferred().model_copy(update={"transferred_at": AT + timedelta(days=1)}))

    assert len((await notifications.get(f"/deliveries?caused_by={envelope.id}", NEW_ADMIN, ACCOUNT)).json()) == 1
    assert (await notifications.get(f"/deliveries?caused_by={envelope.id}", ADMIN, ACCOUNT)).status_code == 403


async def test_R34_a_verification_email_is_in_the_log_of_its_recipient_only(notifications, sink):
    [envelope] = await notifications.deliver(verification())
    [own] = (await notifications.get("/deliveries", USER, ACCOUNT)).json()
    assert (own["template"], own["subscription_id"]) == ("verification", USER)
    assert (await notifications.get(f"/deliveries?caused_by={envelope.id}", ADMIN, ACCOUNT)).status_code == 403


async def test_R6_an_event_without_emails_yet_answers_an_empty_log(notifications):
    assert (await notifications.get("/deliveries?caused_by=nothing-yet", ADMIN, ACCOUNT)).json() == []


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


def test_R17_events_name_the_administrator_of_their_subject():
    assert administrator_named(transferred(), AT) == AdministratorNamed(SID, ACCOUNT, NEW_ADMIN, AT)
    assert administrator_named(invited(), AT) == AdministratorNamed(SID, ACCOUNT, ADMIN, AT)
    assert administrator_named(unassigned(), AT) is None and administrator_named(verification(), AT) is None
