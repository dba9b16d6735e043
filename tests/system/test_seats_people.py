"""People and seats over the real stack: users invited, a CSV imported, floating leases within
the quantity, a node-locked key moved between devices, a user unassigned."""

from __future__ import annotations

import httpx
import jwt
import pytest

from devkit.client import EntitleClient, EntitleError, eventually
from devkit.mailbox import read_mailbox
from opskit.topicreader import events_of


def active_subscription(customer: EntitleClient, quantity: int, **plan) -> str:
    sid = customer.purchase(quantity=quantity, **plan)["id"]
    customer.accept(sid)
    eventually(lambda: customer.seats(sid)["status"] == "unlocked", what="unlocked pool")
    return sid


def seat_events(stack, sid: str, kind: str) -> list[dict]:
    return [e["data"] for e in events_of(stack.config.bootstrap, "seats.events.v1", sid) if e["type"] == kind]


def add_users(customer: EntitleClient, sid: str, *emails: str, assign: bool = False) -> list[dict]:
    body = {
        "users": [{"email": e, "first_name": e.split("@")[0].title(), "last_name": "Tester"} for e in emails],
        "assign_seats": assign,
    }
    return customer.call("seats", "POST", f"/subscriptions/{sid}/users", body)["users"]


def refused(attempt) -> EntitleError:
    with pytest.raises(EntitleError) as error:
        attempt()
    return error.value


def test_R22_added_users_are_invited_and_listed_as_invited(stack, customer):
    sid = active_subscription(customer, quantity=2)
    added = add_users(customer, sid, "ann@example.com", "bob@example.com", assign=True)
    assert [(u["status"], u["seat_assigned"]) for u in added] == [("invited", True)] * 2
    invited = eventually(
        lambda: len(seat_events(stack, sid, "seats.user_invited")) == 2
        and seat_events(stack, sid, "seats.user_invited"),
        what="invitations published",
    )
    register_url = next(i["register_url"] for i in invited if i["user"]["email"] == "ann@example.com")
    assert "/people/registration?email=ann%40example.com" in register_url
    how = httpx.get(register_url, timeout=10)  # the portal's registration form, for that address
    assert register_url.startswith(stack.config.url("portal") + "/")
    assert how.status_code == 200 and 'value="ann@example.com"' in how.text

    mails = eventually(
        lambda: len(found := mails_of(stack, sid, "invitation")) == 2 and found,
        what="invitation e-mails received by the SMTP server",
    )
    assert sorted(m.to for m in mails) == ["ann@example.com", "bob@example.com"]

    resent = customer.call("seats", "POST", f"/subscriptions/{sid}/users/invitations/resend", {"text": "bob"})
    assert [u["email"] for u in resent["users"]] == ["bob@example.com"]
    eventually(lambda: any(i["resend"] for i in seat_events(stack, sid, "seats.user_invited")), what="resend")
    [again] = eventually(lambda: mails_of(stack, sid, "reinvitation"), what="re-invitation e-mail")
    assert again.to == "bob@example.com"


def mails_of(stack, subscription_id: str, template: str) -> list:
    return [
        m
        for m in read_mailbox(stack.config.mail_dir)
        if m.subscription_id == subscription_id and m.template == template
    ]


def test_R23_a_csv_import_is_a_draft_corrected_then_submitted(stack, customer):
    sid = active_subscription(customer, quantity=1)
    base = f"/subscriptions/{sid}/users"
    template = httpx.get(customer.urls["seats"] + base + "/import-template.csv").text
    assert template.splitlines()[0] == "email,first_name,last_name"
    csv = "email,first_name,last_name\ncsv1@example.com,One,Csv\ncsv2@example.com,,Csv\ncsv1@example.com,Dup,Csv\n"
    answer = httpx.post(
        customer.urls["seats"] + base + "/imports",
        files={"file": ("users.csv", csv, "text/csv")},
        headers={"Authorization": f"Bearer {customer.token}"},
        timeout=10,
    )
    assert answer.status_code == 201, answer.text
    draft = answer.json()
    assert ([r["row"] for r in draft["incomplete"]], [d["row"] for d in draft["duplicates"]]) == ([3], [4])
    iid = draft["import_id"]
    assert refused(lambda: customer.call("seats", "POST", f"{base}/imports/{iid}/submission")).rule == "R23"

    customer.call("seats", "PATCH", f"{base}/imports/{iid}/rows/3", {"first_name": "Two"})
    customer.call("seats", "POST", f"{base}/imports/{iid}/submission")
    done = eventually(
        lambda: (d := customer.call("seats", "GET", f"{base}/imports/{iid}"))["status"] == "done" and d,
        what="import done",
    )
    assert (done["done"], done["total"], done["added"]) == (2, 2, 2)
    emails = sorted(u["email"] for u in customer.call("seats", "GET", base)["users"])
    assert emails == ["csv1@example.com", "csv2@example.com"]
    eventually(lambda: seat_events(stack, sid, "seats.users_imported"), what="users_imported published")


def test_R26_floating_leases_never_exceed_the_seats(stack, api, customer):
    sid = active_subscription(customer, quantity=1, licence_type="floating")
    colleague = api.new_customer("Col League")
    add_users(customer, sid, _email_of(colleague), _email_of(customer), assign=True)  # two people, one seat
    lease = customer.call("seats", "POST", f"/subscriptions/{sid}/leases")
    assert refused(lambda: colleague.call("seats", "POST", f"/subscriptions/{sid}/leases")).rule == "R26"
    customer.call("seats", "POST", f"/leases/{lease['lease_id']}/heartbeat")
    customer.call("seats", "DELETE", f"/leases/{lease['lease_id']}")
    assert colleague.call("seats", "POST", f"/subscriptions/{sid}/leases")["person_id"] != lease["person_id"]
    allowed = colleague.call("seats", "GET", f"/access?product=designer&email={_email_of(colleague)}")
    assert (allowed["allowed"], allowed["licence_type"], allowed["subscription_id"]) == (True, "floating", sid)


def test_R27_a_node_locked_key_moves_only_after_deactivation(stack, customer):
    sid = active_subscription(customer, quantity=1, licence_type="node_locked")
    add_users(customer, sid, _email_of(customer), assign=True)  # a key is activated by a person with a seat
    [key] = customer.call("seats", "GET", f"/subscriptions/{sid}/keys")["keys"]
    path = f"/subscriptions/{sid}/keys/{key['key_id']}"
    customer.call("seats", "POST", f"{path}/activation", {"device_id": "dev-a", "device_name": "Desk"})
    moved = lambda: customer.call("seats", "POST", f"{path}/activation", {"device_id": "dev-b"})  # noqa: E731
    assert refused(moved).rule == "R27"
    customer.call("seats", "POST", f"{path}/deactivation")
    moved()
    [key] = customer.call("seats", "GET", f"/subscriptions/{sid}/keys")["keys"]
    assert key["device_id"] == "dev-b"
    eventually(lambda: len(seat_events(stack, sid, "seats.device_activated")) == 2, what="activations published")


def test_R24_an_unassigned_user_loses_access_at_once_and_stays_listed(stack, customer):
    sid = active_subscription(customer, quantity=1)
    [ann] = add_users(customer, sid, "unassign-me@example.com", assign=True)
    query = "/access?product=designer&email=unassign-me@example.com"
    assert customer.call("seats", "GET", query)["allowed"] is True
    customer.call("seats", "POST", f"/subscriptions/{sid}/users/unassign", {"user_ids": [ann["user_id"]]})
    assert customer.call("seats", "GET", query)["allowed"] is False
    [listed] = customer.call("seats", "GET", f"/subscriptions/{sid}/users")["users"]
    assert (listed["email"], listed["seat_assigned"]) == ("unassign-me@example.com", False)
    [event] = eventually(lambda: seat_events(stack, sid, "seats.seat_unassigned"), what="unassignment published")
    assert event["fallback"] in ("trial", "standard")
    [told] = eventually(lambda: mails_of(stack, sid, "access_removed"), what="removal-of-access e-mail")
    assert told.to == "unassign-me@example.com"
    assert (
        refused(lambda: customer.call("seats", "DELETE", f"/subscriptions/{sid}/users/{ann['user_id']}")).rule == "R5"
    )


def _email_of(client: EntitleClient) -> str:
    return jwt.decode(client.token, options={"verify_signature": False})["email"]
