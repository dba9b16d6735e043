"""Forgotten password (R1: a single-use link by e-mail, throttled, telling nothing about the
address) and the profile with its language, against fakes answering as identity does
(`POST /password-resets`, `POST /password-resets/completion`, `GET /me`, `PATCH /me`), and
where the person is signed in (R42: `GET /me/sign-ins`, `DELETE /me/sign-ins/{id}`)."""

from __future__ import annotations

import json
import re
from typing import Any

import httpx
import pytest

from .conftest import ADA, hidden_fields, problem

RESET_ANSWER = {"status": "If this e-mail belongs to an account, a link to choose a new password is on its way."}
NEW_PASSWORD = "Another-Horse-42"


@pytest.fixture
def identity(fakes) -> dict[str, Any]:
    """Identity's reset links and profiles, as its API answers them."""
    state: dict[str, Any] = {
        "tokens": {"good-token": "pending", "old-token": "used", "late-token": "expired"},
        "profiles": {ADA.person_id: {"name": "Ada Lovelace", "locale": "en"}},
        "asked": [],
        "throttled": False,
        # R42: the other sign-ins of each person (the browser's own is its token's `sid`)
        "sign_ins": {
            ADA.person_id: [
                {
                    "sign_in_id": "si-desktop",
                    "device_name": "Designer on ws-0042",
                    "signed_in_at": "2026-01-01T08:00:00Z",
                    "last_used_at": "2026-01-04T17:30:00Z",
                    "expires_at": "2026-02-03T17:30:00Z",
                }
            ]
        },
        "sign_ins_down": False,
    }

    @fakes.route("identity", "POST", r"/password-resets")
    def ask(request: httpx.Request, caller, match) -> httpx.Response:
        if state["throttled"]:
            return problem(429, "password_resets_per_client_exceeded", "Too many password-reset requests.")
        state["asked"].append(json.loads(request.content)["email"])
        return httpx.Response(202, json=RESET_ANSWER)

    @fakes.route("identity", "POST", r"/password-resets/completion")
    def complete(request: httpx.Request, caller, match) -> httpx.Response:
        body = json.loads(request.content)
        found = state["tokens"].get(body["token"])
        if found is None:
            return problem(404, "reset_link_not_found", "This password-reset link is not valid (R1).")
        if found == "used":
            return problem(409, "reset_link_used", "This password-reset link was already used (R1).")
        if found == "expired":
            return problem(409, "reset_link_expired", "This password-reset link expired (R1).")
        if len(body["password"]) < 10:
            return problem(422, "weak_password", "Use at least 10 characters (R1).")
        state["tokens"][body["token"]] = "used"
        fakes.end_every_session()
        return httpx.Response(200, json={"password_changed": True, "sessions_ended": 1, "event_ids": ["e-1"]})

    def profile_of(caller) -> dict[str, Any]:
        mine = state["profiles"][caller.person_id]
        return {
            "person_id": caller.person_id,
            "email": caller.email,
            **mine,
            "registered_at": "2026-01-05T09:00:00Z",
            "email_verified_at": "2026-01-05T09:00:00Z",
        }

    @fakes.route("identity", "GET", r"/me")
    def me(request: httpx.Request, caller, match) -> httpx.Response:
        if caller is None:
            return problem(401, "unauthenticated", "Sign in.")
        return httpx.Response(200, json=profile_of(caller))

    @fakes.route("identity", "PATCH", r"/me")
    def change(request: httpx.Request, caller, match) -> httpx.Response:
        if caller is None:
            return problem(401, "unauthenticated", "Sign in.")
        body = json.loads(request.content)
        if body.get("locale") not in (None, "en", "fr", "nl", "de"):
            return problem(422, "invalid_request", "locale: not a language.")
        state["profiles"][caller.person_id].update({k: v for k, v in body.items() if v is not None})
        return httpx.Response(200, json=profile_of(caller))

    @fakes.route("identity", "GET", r"/me/sign-ins")
    def sign_ins(request: httpx.Request, caller, match) -> httpx.Response:
        if caller is None:
            return problem(401, "unauthenticated", "Sign in.")
        if state["sign_ins_down"]:
            return problem(503, "unavailable", "identity cannot be reached.")
        this = {
            "sign_in_id": caller.session_id,
            "device_name": None,
            "signed_in_at": "2026-01-05T09:00:00Z",
            "last_used_at": "2026-01-05T09:00:00Z",
            "expires_at": "2026-01-05T10:00:00Z",
        }
        others = state["sign_ins"].get(caller.person_id, [])
        return httpx.Response(200, json=[{**s, "current": False} for s in others] + [{**this, "current": True}])

    @fakes.route("identity", "DELETE", r"/me/sign-ins/([^/]+)")
    def end_sign_in(request: httpx.Request, caller, match) -> httpx.Response:
        if caller is None:
            return problem(401, "unauthenticated", "Sign in.")
        ended = {"sign_in_id": match.group(1), "signed_out_at": "2026-01-05T09:00:00Z", "event_ids": ["e-1"]}
        if match.group(1) == caller.session_id:
            fakes.ended_sessions.add(caller.session_id)
            return httpx.Response(200, json=ended)
        mine = state["sign_ins"].get(caller.person_id, [])
        if not any(s["sign_in_id"] == match.group(1) for s in mine):
            return problem(404, "sign_in_not_found", "No such sign-in.")
        state["sign_ins"][caller.person_id] = [s for s in mine if s["sign_in_id"] != match.group(1)]
        return httpx.Response(200, json=ended)

    return state


def profile_form(html: str) -> dict[str, str]:
    """The profile form's hidden fields (the page has a form per sign-in too)."""
    [body] = re.findall(r'<form method="post" action="/profile" class="stacked">(.*?)</form>', html, re.S)
    return hidden_fields(body)


def sign_out_forms(html: str) -> dict[str, dict[str, str]]:
    """Each "Sign out there" form's hidden fields, by the sign-in it ends."""
    action = r'<form method="post" action="/profile/sign-ins/([^/"]+)/sign-out"[^>]*>(.*?)</form>'
    found = re.findall(action, html, re.S)
    return {sign_in: hidden_fields(body) for sign_in, body in found}


async def test_R1_asking_for_a_link_says_the_same_for_any_address(portal, identity):
    pages = []
    for email in ("ada@example.com", "nobody@example.com"):
        fields = await portal.form_fields("/password-reset")
        page = await portal.post("/password-reset", data={"csrf_token": fields["csrf_token"], "email": email})
        assert page.status_code == 200
        pages.append(page.text.replace(email, "EMAIL"))
    assert pages[0] == pages[1] and "If an account exists for" in pages[0]
    assert identity["asked"] == ["ada@example.com", "nobody@example.com"]
    [call, _] = portal.fakes.calls("POST", "/password-resets")
    assert call.headers["x-forwarded-for"]  # identity throttles per client address, the browser's


async def test_R1_too_many_requests_from_one_address_are_refused_with_a_clear_message(portal, identity):
    identity["throttled"] = True
    fields = await portal.form_fields("/password-reset")
    page = await portal.post("/password-reset", data={"csrf_token": fields["csrf_token"], "email": "ada@example.com"})
    assert page.status_code == 429 and 'role="alert"' in page.text and "Too many attempts" in page.text
    assert 'value="ada@example.com"' in page.text  # what was typed is kept


async def test_R1_the_link_opens_the_new_password_form_which_changes_it_once_then_leads_to_sign_in(portal, identity):
    form = await portal.get("/password-reset", params={"token": "good-token"})
    assert form.status_code == 200 and form.headers["referrer-policy"] == "no-referrer"
    assert form.headers["cache-control"] == "no-store"
    fields = hidden_fields(form.text)
    assert fields["token"] == "good-token" and fields["idempotency_key"]
    data = {**fields, "password": NEW_PASSWORD, "password_again": NEW_PASSWORD}
    done = await portal.post("/password-reset/new", data=data)
    assert (done.status_code, done.headers["location"]) == (303, "/password-reset/done")
    again = await portal.post("/password-reset/new", data=data)  # a double submit: one change
    assert again.status_code == 303
    [call] = {
        c.headers["idempotency-key"]: c for c in portal.fakes.calls("POST", "/password-resets/completion")
    }.values()
    assert json.loads(call.content) == {"token": "good-token", "password": NEW_PASSWORD}
    page = await portal.get("/password-reset/done")
    assert page.status_code == 200 and 'href="/sign-in"' in page.text


async def test_R1_a_weak_or_mistyped_new_password_gives_the_form_again_with_the_reason(portal, identity):
    fields = hidden_fields((await portal.get("/password-reset", params={"token": "good-token"})).text)
    differ = await portal.post("/password-reset/new", data={**fields, "password": NEW_PASSWORD, "password_again": "x"})
    assert differ.status_code == 422 and "The two passwords are not the same." in differ.text
    assert portal.fakes.calls("POST", "/password-resets/completion") == []
    weak = await portal.post("/password-reset/new", data={**fields, "password": "short", "password_again": "short"})
    assert weak.status_code == 422 and "Choose a stronger password" in weak.text
    assert hidden_fields(weak.text)["token"] == "good-token"  # the link still works: try again
    assert identity["tokens"]["good-token"] == "pending"


@pytest.mark.parametrize(
    ("token", "status", "says"),
    [
        ("old-token", 409, "This link was already used."),
        ("late-token", 409, "links work for one hour"),
        ("unknown-token", 404, "This link is not valid."),
    ],
)
async def test_R1_a_used_expired_or_unknown_link_says_so_and_offers_a_new_one(portal, identity, token, status, says):
    fields = hidden_fields((await portal.get("/password-reset", params={"token": token})).text)
    page = await portal.post(
        "/password-reset/new", data={**fields, "password": NEW_PASSWORD, "password_again": NEW_PASSWORD}
    )
    assert page.status_code == status and says in page.text and 'href="/password-reset"' in page.text


async def test_a_malformed_token_is_refused_without_asking_identity(portal, identity):
    page = await portal.get("/password-reset", params={"token": "<script>"})
    assert page.status_code == 404 and "This link is not valid." in page.text and "<script>" not in page.text


async def test_R1_changing_the_password_ends_the_sessions_signed_in_with_the_old_one(portal, identity):
    await portal.sign_in()
    fields = hidden_fields((await portal.get("/password-reset", params={"token": "good-token"})).text)
    await portal.post("/password-reset/new", data={**fields, "password": NEW_PASSWORD, "password_again": NEW_PASSWORD})
    page = await portal.get("/profile")
    assert page.status_code == 303 and page.headers["location"].startswith("/sign-in")


async def test_the_profile_shows_name_email_and_language_and_saves_them_at_identity_and_in_the_session(
    portal, identity
):
    await portal.sign_in()
    page = await portal.get("/profile")
    assert page.status_code == 200
    assert 'value="Ada Lovelace"' in page.text and 'value="ada@example.com" readonly' in page.text
    assert '<option value="en" lang="en" selected>' in page.text
    fields = profile_form(page.text)
    data = {**fields, "name": "Ada Byron", "locale": "fr"}
    saved = await portal.post("/profile", data=data)
    assert (saved.status_code, saved.headers["location"]) == (303, "/profile?saved=1")
    await portal.post("/profile", data=data)  # a double submit sends the same key
    keys = {c.headers["idempotency-key"] for c in portal.fakes.calls("PATCH", "/me")}
    assert keys == {fields["idempotency_key"]}
    assert json.loads(portal.fakes.calls("PATCH", "/me")[0].content) == {"name": "Ada Byron", "locale": "fr"}
    page = await portal.get("/profile?saved=1")
    assert '<html lang="fr">' in page.text and 'value="Ada Byron"' in page.text  # the pages follow at once


async def test_a_profile_without_a_name_or_with_an_unknown_language_is_refused_and_nothing_is_lost(portal, identity):
    await portal.sign_in()
    fields = profile_form((await portal.get("/profile")).text)
    empty = await portal.post("/profile", data={**fields, "name": "  ", "locale": "nl"})
    assert empty.status_code == 422 and "Enter your name." in empty.text
    assert '<option value="nl" lang="nl" selected>' in empty.text
    unknown = await portal.post("/profile", data={**fields, "name": "Ada", "locale": "xx"})
    assert unknown.status_code == 422 and 'value="Ada"' in unknown.text
    too_long = await portal.post("/profile", data={**fields, "name": "A" * 201, "locale": "en"})
    assert too_long.status_code == 422
    assert portal.fakes.calls("PATCH", "/me") == []


async def test_signed_out_the_profile_sends_to_sign_in(portal, identity):
    page = await portal.get("/profile")
    assert (page.status_code, page.headers["location"]) == (303, "/sign-in?next=/profile")


async def test_a_form_without_the_csrf_token_is_refused(portal, identity):
    await portal.get("/password-reset")
    refused = await portal.post("/password-reset", data={"email": "ada@example.com"})
    assert refused.status_code == 403 and identity["asked"] == []


@pytest.mark.parametrize("path", ["/password-reset", "/password-reset?token=good-token", "/password-reset/done"])
async def test_the_pages_render_in_french(portal, identity, path):
    fields = await portal.form_fields("/password-reset")
    await portal.post("/language", data={"csrf_token": fields["csrf_token"], "locale": "fr", "next": "/"})
    page = await portal.get(path)
    assert page.status_code == 200 and '<html lang="fr">' in page.text


# -- where you are signed in (R42) ------------------------------------------------------------


def text(html: str) -> str:
    return re.sub(r"\s+", " ", re.sub(r"<[^>]+>", " ", html))


async def test_R42_the_profile_lists_where_the_person_is_signed_in(portal, identity):
    await portal.sign_in()

    page = await portal.get("/profile")

    assert page.status_code == 200
    shown = text(page.text)
    assert "Where you are signed in" in shown and "2 sign-ins" in shown
    assert "Designer on ws-0042 1/1/26, 8:00 AM 1/4/26, 5:30 PM 2/3/26, 5:30 PM Sign out there" in shown
    assert "This browser 1/5/26, 9:00 AM 1/5/26, 9:00 AM 1/5/26, 10:00 AM Sign out here" in shown
    forms = sign_out_forms(page.text)
    assert set(forms) >= {"si-desktop"} and len(forms) == 2
    assert len({f["idempotency_key"] for f in forms.values()} | {profile_form(page.text)["idempotency_key"]}) == 3
    [call] = portal.fakes.calls("GET", "/me/sign-ins")
    assert set(call.url.params) <= {"limit", "cursor"}  # only the caller's own


async def test_R42_signing_out_there_ends_that_sign_in_only_once_however_often_it_is_sent(portal, identity):
    await portal.sign_in()
    form = sign_out_forms((await portal.get("/profile")).text)["si-desktop"]

    first = await portal.post("/profile/sign-ins/si-desktop/sign-out", data=form)
    second = await portal.post("/profile/sign-ins/si-desktop/sign-out", data=form)  # a double click

    assert (first.status_code, first.headers["location"]) == (303, "/profile?signed_out=1")
    assert second.status_code == 303
    calls = portal.fakes.calls("DELETE", "/me/sign-ins/si-desktop")
    assert [c.headers["idempotency-key"] for c in calls] == [form["idempotency_key"]] * 2
    assert identity["sign_ins"][ADA.person_id] == []
    page = await portal.get(first.headers["location"])
    assert page.status_code == 200  # this browser is still signed in
    assert "Signed out there: that device or browser must sign in again." in page.text
    assert "Designer on ws-0042" not in page.text and "1 sign-in" in text(page.text)


async def test_R42_signing_out_here_signs_this_browser_out(portal, identity):
    await portal.sign_in()
    forms = sign_out_forms((await portal.get("/profile")).text)
    [here] = [sid for sid in forms if sid != "si-desktop"]

    answer = await portal.post(f"/profile/sign-ins/{here}/sign-out", data=forms[here])

    assert (answer.status_code, answer.headers["location"]) == (303, "/sign-in")
    assert (await portal.get("/profile")).headers["location"] == "/sign-in?next=/profile"
    assert identity["sign_ins"][ADA.person_id]  # the other sign-in goes on


async def test_R42_an_unknown_or_another_persons_sign_in_ends_nothing(portal, identity):
    identity["sign_ins"]["p-eve"] = [{**identity["sign_ins"][ADA.person_id][0], "sign_in_id": "si-eve"}]
    await portal.sign_in()
    form = sign_out_forms((await portal.get("/profile")).text)["si-desktop"]
    for sign_in in ("si-eve", "si-nobody"):
        answer = await portal.post(f"/profile/sign-ins/{sign_in}/sign-out", data={**form, "idempotency_key": "k" * 32})
        assert (answer.status_code, answer.headers["location"]) == (303, "/profile")
    assert identity["sign_ins"]["p-eve"] and identity["sign_ins"][ADA.person_id]
    forged = await portal.post("/profile/sign-ins/si-desktop/sign-out", data={**form, "csrf_token": "forged"})
    no_key = await portal.post("/profile/sign-ins/si-desktop/sign-out", data={**form, "idempotency_key": ""})
    assert (forged.status_code, no_key.status_code) == (403, 404)
    assert not portal.fakes.calls("DELETE", "/me/sign-ins/si-desktop")


async def test_R42_the_profile_still_works_when_the_sign_ins_cannot_be_read(portal, identity):
    identity["sign_ins_down"] = True
    await portal.sign_in()
    page = await portal.get("/profile")
    assert page.status_code == 200 and 'value="Ada Lovelace"' in page.text
    assert "The list of your sign-ins cannot be shown right now." in page.text
