"""The agreement page (R7, R8): read, accept once however often the form is sent, and the
activation shown honestly until seats has unlocked the pool; someone else's subscription
is the same not-found page as one that does not exist."""

from __future__ import annotations

import re

import httpx

from .conftest import ADA, EVE, hidden_fields, subscription


def same_page(html: str) -> str:
    """The page without the address it was asked at (the language switcher returns there)."""
    return re.sub(r'name="next" value="[^"]*"', "", html)


async def test_the_agreement_is_read_and_accepted_once_however_often_the_form_is_sent(portal):
    portal.fakes.subscriptions["s-1"] = subscription("s-1", ADA, status="pending_activation")
    await portal.sign_in()
    page = await portal.get("/subscriptions/s-1/agreement")
    assert page.status_code == 200
    assert "Licence agreement for 1200 named_user seat(s)" in page.text
    assert "Accept it by April 5, 2026, or the order lapses." in page.text
    form = hidden_fields(page.text)

    first = await portal.post("/subscriptions/s-1/agreement", data=form)
    second = await portal.post("/subscriptions/s-1/agreement", data=form)  # a double click

    assert first.status_code == second.status_code == 303
    assert first.headers["location"] == "/subscriptions/s-1/agreement"
    calls = portal.fakes.calls("POST", "/subscriptions/s-1/activation")
    assert [c.headers["idempotency-key"] for c in calls] == [form["idempotency_key"]] * 2
    assert portal.fakes.activations == 1


async def test_after_accepting_the_page_says_activating_until_seats_are_unlocked(portal):
    portal.fakes.subscriptions["s-1"] = subscription("s-1", ADA, status="pending_activation")
    await portal.sign_in()
    form = hidden_fields((await portal.get("/subscriptions/s-1/agreement")).text)
    await portal.post("/subscriptions/s-1/agreement", data=form)

    activating = await portal.get("/subscriptions/s-1/agreement")

    assert "Activating…" in activating.text
    assert 'hx-get="/subscriptions/s-1/activation"' in activating.text
    assert 'hx-trigger="every 2s"' in activating.text
    assert '<a href="/subscriptions/s-1/agreement">Refresh</a>' in activating.text  # without JavaScript
    assert 'name="idempotency_key"' not in activating.text  # nothing left to accept

    polled = await portal.get("/subscriptions/s-1/activation", headers={"HX-Request": "true"})
    assert polled.status_code == 200 and "Activating…" in polled.text and "<html" not in polled.text
    portal.fakes.pools["s-1"] = "locked"
    assert "Activating…" in (await portal.get("/subscriptions/s-1/activation", headers={"HX-Request": "true"})).text

    portal.fakes.pools["s-1"] = "unlocked"
    done = await portal.get("/subscriptions/s-1/activation", headers={"HX-Request": "true"})
    assert "the seats are unlocked" in done.text
    assert "hx-trigger" not in done.text  # the polling stops
    assert "the seats are unlocked" in (await portal.get("/subscriptions/s-1/agreement")).text


async def test_the_activation_partial_without_htmx_is_the_agreement_page(portal):
    portal.fakes.subscriptions["s-1"] = subscription("s-1", ADA)
    await portal.sign_in()
    answer = await portal.get("/subscriptions/s-1/activation")
    assert answer.status_code == 303 and answer.headers["location"] == "/subscriptions/s-1/agreement"


async def test_a_refusal_of_subscriptions_is_shown_on_the_page(portal):
    portal.fakes.subscriptions["s-1"] = subscription("s-1", ADA, status="pending_activation")
    await portal.sign_in()
    form = hidden_fields((await portal.get("/subscriptions/s-1/agreement")).text)
    portal.fakes.subscriptions["s-1"]["status"] = "activation_expired"  # the 90 days ran out meanwhile

    answer = await portal.post("/subscriptions/s-1/agreement", data=form)

    assert answer.status_code == 409
    assert "This subscription is not waiting for its agreement." in answer.text


async def test_another_company_s_subscription_is_the_same_page_as_an_unknown_one(portal):
    portal.fakes.subscriptions["s-eve"] = subscription("s-eve", EVE, status="pending_activation")
    await portal.sign_in(ADA)

    theirs = await portal.get("/subscriptions/s-eve/agreement")
    unknown = await portal.get("/subscriptions/s-nothing/agreement")
    malformed = await portal.get("/subscriptions/%3Cscript%3E/agreement")

    assert theirs.status_code == unknown.status_code == malformed.status_code == 404
    assert same_page(theirs.text) == same_page(unknown.text) == same_page(malformed.text)
    form = hidden_fields(unknown.text)
    accept = await portal.post("/subscriptions/s-eve/agreement", data={**form, "idempotency_key": "k" * 32})
    assert accept.status_code == 404 and same_page(accept.text) == same_page(unknown.text)
    assert portal.fakes.activations == 0
    assert re.search(r"<h1>Not found</h1>", theirs.text)


async def test_an_accept_form_without_the_rendered_key_sends_nothing(portal):
    portal.fakes.subscriptions["s-1"] = subscription("s-1", ADA, status="pending_activation")
    await portal.sign_in()
    form = hidden_fields((await portal.get("/subscriptions/s-1/agreement")).text)

    answer = await portal.post("/subscriptions/s-1/agreement", data={"csrf_token": form["csrf_token"]})

    assert answer.status_code == 404
    assert portal.fakes.calls("POST", "/subscriptions/s-1/activation") == []


async def test_accepting_without_the_csrf_token_is_refused(portal):
    portal.fakes.subscriptions["s-1"] = subscription("s-1", ADA, status="pending_activation")
    await portal.sign_in()
    form = hidden_fields((await portal.get("/subscriptions/s-1/agreement")).text)

    answer = await portal.post("/subscriptions/s-1/agreement", data={"idempotency_key": form["idempotency_key"]})

    assert answer.status_code == 403
    assert portal.fakes.activations == 0


async def test_seats_not_answering_leaves_the_page_saying_activating(portal):
    portal.fakes.subscriptions["s-1"] = subscription("s-1", ADA, status="active")
    await portal.sign_in()
    portal.fakes.pools["s-1"] = "unlocked"
    real = portal.fakes.seats
    portal.fakes.seats = lambda request: httpx.Response(503, json={"code": "down", "message": "down"})

    page = await portal.get("/subscriptions/s-1/agreement")

    assert page.status_code == 200 and "Activating…" in page.text
    portal.fakes.seats = real
    assert "the seats are unlocked" in (await portal.get("/subscriptions/s-1/agreement")).text


# -- R36: the agreement is a versioned document ------------------------------------------------

VERSION = "2026-12.3f9c2b1d7a4e"
SHA = "3f9c2b1d7a4e" + "0" * 52


def versioned(portal, sid: str, owner=ADA, status: str = "active", accepted: bool = True) -> list[dict]:
    """The subscription and its agreements as subscriptions' R36 routes answer them
    (`AgreementView`, `AgreementSummary`, the document): purchase accepted, one amendment
    superseded, one accepted; fakes answer only the subscription's administrator."""
    portal.fakes.subscriptions[sid] = subscription(sid, owner, status=status)

    def summary(number: int, kind: str, state: str, amendment_id: str | None = None) -> dict:
        done = state == "accepted"
        base = f"/subscriptions/{sid}/agreements/{number}"
        return {
            "number": number,
            "kind": kind,
            "amendment_id": amendment_id,
            "version": f"2026-12.{number}a{number}b{number}c" if number > 1 else VERSION,
            "template_version": "2026-12",
            "sha256": SHA,
            "status": state,
            "issued_at": "2026-01-05T09:00:00Z",
            "accepted_by": owner.person_id if done else None,
            "accepted_by_name": "Ada Lovelace" if done else None,
            "accepted_at": "2026-01-06T10:30:00Z" if done else None,
            "path": base,
            "document_path": f"{base}/document",
        }

    listed = [summary(1, "purchase", "accepted" if accepted else "open")]
    if accepted:
        listed += [summary(2, "amendment", "superseded", "am-1"), summary(3, "amendment", "accepted", "am-2")]

    def mine(caller, match) -> dict | None:
        found = portal.fakes.subscriptions.get(match.group(1))
        if caller is None or found is None:
            return None
        if (found["administrator_id"], found["account_id"]) != (caller.person_id, caller.account_id):
            return None
        return found

    def refused(caller) -> httpx.Response:
        if caller is None:
            return httpx.Response(401, json={"code": "unauthenticated", "message": "Sign in.", "rule": None})
        return httpx.Response(404, json={"code": "subscription_not_found", "message": "No.", "rule": None})

    @portal.fakes.route("subscriptions", "GET", rf"/subscriptions/({sid})/agreement")
    def agreement(request, caller, match):
        found = mine(caller, match)
        if found is None:
            return refused(caller)
        purchase = listed[0]
        return httpx.Response(
            200,
            json={
                "subscription_id": sid,
                "status": found["status"],
                "accept_by": found["activation_deadline"],
                "text": "Licence agreement for 1200 named_user seat(s) of designer standard.",
                "accept": {"method": "POST", "path": f"/subscriptions/{sid}/activation"},
                "number": 1,
                "version": VERSION,
                "agreement_status": purchase["status"],
                "accepted_by": purchase["accepted_by"],
                "accepted_by_name": purchase["accepted_by_name"],
                "accepted_at": purchase["accepted_at"],
                "document_path": purchase["document_path"],
            },
        )

    @portal.fakes.route("subscriptions", "GET", rf"/subscriptions/({sid})/agreements")
    def agreements(request, caller, match):
        found = mine(caller, match)
        return httpx.Response(200, json=listed) if found is not None else refused(caller)

    @portal.fakes.route("subscriptions", "GET", rf"/subscriptions/({sid})/agreements/([0-9]+)/document")
    def document(request, caller, match):
        found = mine(caller, match)
        if found is None:
            return refused(caller)
        numbered = [a for a in listed if a["number"] == int(match.group(2))]
        if not numbered:
            return httpx.Response(404, json={"code": "agreement_not_found", "message": "No.", "rule": None})
        return httpx.Response(
            200,
            text=f"Licence agreement {match.group(2)} of subscription {sid}\nVersion: {numbered[0]['version']}\n",
            headers={
                "content-type": "text/plain; charset=utf-8",
                "content-disposition": f'attachment; filename="agreement-{sid}-{match.group(2)}.txt"',
                "x-agreement-version": numbered[0]["version"],
            },
        )

    return listed


async def test_R36_the_accepted_agreement_shows_its_version_who_accepted_it_and_when(portal):
    versioned(portal, "s-1")
    await portal.sign_in()

    page = await portal.get("/subscriptions/s-1/agreement")

    assert page.status_code == 200
    assert f"Version: {VERSION}" in page.text
    assert "Accepted by Ada Lovelace on Jan 6, 2026, 10:30:00\u202fAM" in page.text
    assert '<a href="/subscriptions/s-1/agreements/1/download" download>Download the agreement</a>' in page.text
    assert 'name="idempotency_key"' not in page.text


async def test_R36_the_agreement_waiting_for_acceptance_shows_its_version_and_no_acceptance(portal):
    versioned(portal, "s-1", status="pending_activation", accepted=False)
    await portal.sign_in()

    page = await portal.get("/subscriptions/s-1/agreement")

    assert f"Version: {VERSION}" in page.text and "Accepted by Ada" not in page.text
    assert "Accept the agreement" in page.text
    assert "<td>Waiting for acceptance</td>" in page.text


async def test_R36_the_page_lists_every_agreement_of_the_subscription(portal):
    versioned(portal, "s-1")
    await portal.sign_in()

    page = (await portal.get("/subscriptions/s-1/agreement")).text

    assert '<h2 id="agreements-heading">Agreements of this subscription</h2>' in page
    assert "<caption>Each purchase and amendment, with the version accepted</caption>" in page
    rows = re.findall(r'<th scope="row">(\d)</th>\s*<td>(\w+)</td>\s*<td>([^<]+)</td>\s*<td>([^<]+)</td>', page)
    assert rows == [
        ("1", "Purchase", VERSION, "Agreed"),
        ("2", "Amendment", "2026-12.2a2b2c", "Superseded"),
        ("3", "Amendment", "2026-12.3a3b3c", "Agreed"),
    ]
    for n in (1, 2, 3):
        assert f'href="/subscriptions/s-1/agreements/{n}/download" download>Download agreement {n}</a>' in page


async def test_R36_the_agreement_downloads_through_the_portal_and_the_token_stays_server_side(portal):
    versioned(portal, "s-1", status="ended")  # readable for the life of the subscription, also ended
    await portal.sign_in()

    file = await portal.get("/subscriptions/s-1/agreements/3/download")

    assert file.status_code == 200
    assert file.headers["content-type"] == "text/plain; charset=utf-8"
    assert file.headers["content-disposition"] == 'attachment; filename="agreement-s-1-3-2026-12.3a3b3c.txt"'
    assert "no-store" in file.headers["cache-control"]
    assert file.text.startswith("Licence agreement 3 of subscription s-1\nVersion: 2026-12.3a3b3c")
    [upstream] = portal.fakes.calls("GET", "/subscriptions/s-1/agreements/3/document")
    token = upstream.headers["authorization"].removeprefix("Bearer ")
    assert token and token not in file.text and all(token not in v for v in file.headers.values())


async def test_R36_another_company_s_unknown_or_malformed_agreement_download_is_not_found(portal):
    versioned(portal, "s-eve", owner=EVE)
    versioned(portal, "s-1")
    await portal.sign_in(ADA)

    theirs = await portal.get("/subscriptions/s-eve/agreements/1/download")
    unknown = await portal.get("/subscriptions/s-1/agreements/9/download")
    malformed = await portal.get("/subscriptions/s-1/agreements/0/download")
    letters = await portal.get("/subscriptions/s-1/agreements/one/download")

    assert theirs.status_code == unknown.status_code == malformed.status_code == letters.status_code == 404
    assert same_page(theirs.text) == same_page(unknown.text) == same_page(malformed.text)
    assert portal.fakes.calls("GET", "/subscriptions/s-1/agreements/0/document") == []


async def test_R36_signed_out_the_download_sends_to_sign_in(portal):
    versioned(portal, "s-1")

    answer = await portal.get("/subscriptions/s-1/agreements/1/download")

    assert answer.status_code == 303 and answer.headers["location"].startswith("/sign-in")
    assert portal.fakes.calls("GET", "/subscriptions/s-1/agreements/1/document") == []


async def test_R36_the_page_without_the_list_still_reads_and_accepts(portal):
    """An older subscriptions service (no `/agreements`): no version, no list, still acceptable."""
    portal.fakes.subscriptions["s-1"] = subscription("s-1", ADA, status="pending_activation")
    await portal.sign_in()

    page = await portal.get("/subscriptions/s-1/agreement")

    assert page.status_code == 200 and "Accept the agreement" in page.text
    assert "Version:" not in page.text and "Download the agreement" not in page.text


async def test_R36_the_agreement_page_in_french(portal):
    versioned(portal, "s-1")
    await portal.sign_in()
    fields = await portal.form_fields("/subscriptions/s-1/agreement")
    await portal.post(
        "/language", data={"csrf_token": fields["csrf_token"], "locale": "fr", "next": "/subscriptions/s-1/agreement"}
    )

    page = await portal.get("/subscriptions/s-1/agreement")

    assert page.status_code == 200 and '<html lang="fr">' in page.text
    assert "6 janv. 2026, 10:30:00" in page.text  # when it was accepted, the French way
    assert VERSION in page.text
