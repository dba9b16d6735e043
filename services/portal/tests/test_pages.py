"""The portal's pages against fake owning services: signing in and out, the session cookie,
CSRF, the Content-Security-Policy, the subscriptions overview, and "not yours" answered as
"not there"."""

from __future__ import annotations

import logging
import re

from .conftest import ADA, EVE, PASSWORD, hidden_fields, subscription

INLINE_SCRIPT = re.compile(r"<script(?![^>]*\bsrc=)[^>]*>", re.IGNORECASE)


def set_cookie_of(answer) -> str:
    [cookie] = [v for k, v in answer.headers.multi_items() if k == "set-cookie" and v.startswith("portal_session=")]
    return cookie


async def test_a_page_sets_an_httponly_lax_secure_session_cookie_and_a_strict_csp(portal):
    page = await portal.get("/sign-in")

    assert page.status_code == 200
    cookie = set_cookie_of(page).lower()
    assert "httponly" in cookie
    assert "samesite=lax" in cookie
    assert "secure" in cookie
    csp = page.headers["content-security-policy"]
    assert "script-src 'self'" in csp and "unsafe-inline" not in csp and "unsafe-eval" not in csp
    assert "frame-ancestors 'none'" in csp
    assert page.headers["referrer-policy"] == "no-referrer"
    assert page.headers["cache-control"] == "no-store"
    assert INLINE_SCRIPT.search(page.text) is None
    assert not re.search(r"<[^>]*\son[a-z]+=", page.text)  # no inline event handler either


async def test_the_cookie_is_not_secure_when_the_setting_says_plain_http(settings, clock, fakes):
    import httpx

    from portal.app import build

    settings.cookie_secure = False
    runtime = build(settings, clock=clock, transport=fakes.transport())
    await runtime.migrate()
    async with httpx.AsyncClient(transport=httpx.ASGITransport(app=runtime.app), base_url="http://x") as client:
        cookie = set_cookie_of(await client.get("/sign-in")).lower()
    await runtime.db.dispose()
    assert "httponly" in cookie and "samesite=lax" in cookie
    assert "secure" not in cookie


async def test_htmx_is_served_by_the_portal_itself_with_its_licence(portal):
    page = await portal.get("/sign-in")
    [src] = re.findall(r'<script src="([^"]+)"', page.text)
    assert src == "/static/htmx-4.0.1.min.js"

    script = await portal.get(src)
    licence = await portal.get("/static/htmx-4.0.1.LICENSE.txt")
    assert script.status_code == 200 and "javascript" in script.headers["content-type"]
    assert len(script.content) > 10_000
    assert "Zero-Clause BSD" in licence.text


async def test_signing_in_opens_a_new_session_and_shows_the_subscriptions_administered(portal, caplog):
    caplog.set_level(logging.INFO)  # the services log at INFO (LOG_LEVEL)
    portal.fakes.subscriptions["s-1"] = subscription("s-1", ADA)
    portal.fakes.subscriptions["s-eve"] = subscription("s-eve", EVE, product="eve-secret-product")
    anonymous = (await portal.get("/sign-in")).cookies["portal_session"]

    signed_in = await portal.sign_in()

    assert signed_in.status_code == 303
    assert signed_in.headers["location"] == "/subscriptions"
    assert portal.cookies["portal_session"] != anonymous  # a new id: the visitor's is not promoted
    overview = await portal.get("/subscriptions")
    assert overview.status_code == 200
    assert "designer" in overview.text and "s-1" in overview.text
    assert "1,200" in overview.text and "January 5, 2027" in overview.text
    assert "Named user" in overview.text and "Active" in overview.text
    assert "eve-secret-product" not in overview.text
    # The token identity issued is never in a URL, a page, a header sent back, or a log line.
    landing, call = portal.fakes.calls("GET", "/subscriptions")  # where to land (R40), then the page
    token = call.headers["authorization"].removeprefix("Bearer ")
    assert token not in overview.text and token not in str(call.url) and token not in str(landing.url)
    assert all(token not in value for _, value in signed_in.headers.multi_items())
    assert all(token not in record.getMessage() for record in caplog.records)
    assert all(portal.cookies["portal_session"] not in record.getMessage() for record in caplog.records)


async def test_a_page_needing_a_person_sends_a_visitor_to_sign_in_and_back(portal):
    answer = await portal.get("/subscriptions/s-1/agreement")

    assert answer.status_code == 303
    assert answer.headers["location"] == "/sign-in?next=/subscriptions/s-1/agreement"
    fields = await portal.form_fields(answer.headers["location"])
    assert fields["next"] == "/subscriptions/s-1/agreement"


async def test_a_next_that_leaves_the_portal_is_ignored(portal):
    fields = await portal.form_fields("/sign-in?next=//evil.example/steal")
    assert fields["next"] == ""  # no next: the person lands where their role leads (R40)


async def test_R40_a_person_who_administers_nothing_lands_on_my_software_an_administrator_on_subscriptions(portal):
    portal.fakes.subscriptions["s-eve"] = subscription("s-eve", EVE)

    seat_user = await portal.sign_in()

    assert seat_user.headers["location"] == "/software"
    portal.fakes.subscriptions["s-1"] = subscription("s-1", ADA)
    assert (await portal.get("/")).headers["location"] == "/subscriptions"


async def test_a_next_still_wins_over_the_landing_page(portal):
    fields = await portal.form_fields("/sign-in?next=/company")
    answer = await portal.post("/sign-in", data={**fields, "email": ADA.email, "password": PASSWORD})

    assert answer.headers["location"] == "/company"


async def test_a_wrong_password_shows_the_form_again_with_the_reason(portal):
    answer = await portal.sign_in(password="wrong")

    assert answer.status_code == 401
    assert "The e-mail address or the password is wrong." in answer.text
    assert "portal_session" in portal.cookies
    assert (await portal.get("/subscriptions")).status_code == 303


async def test_a_form_without_the_session_s_csrf_token_is_refused_before_any_call(portal):
    fields = await portal.form_fields("/sign-in")

    missing = await portal.post("/sign-in", data={"email": ADA.email, "password": PASSWORD})
    wrong = await portal.post("/sign-in", data={"csrf_token": "x" + fields["csrf_token"], "email": ADA.email})
    language = await portal.post("/language", data={"locale": "fr"})

    assert missing.status_code == wrong.status_code == language.status_code == 403
    assert "Form expired" in missing.text
    assert portal.fakes.calls("POST", "/tokens") == []
    assert 'lang="en"' in (await portal.get("/sign-in")).text


async def test_a_form_from_another_browser_s_session_is_refused(portal, settings, clock, fakes):
    theirs = hidden_fields((await portal.get("/sign-in")).text)["csrf_token"]
    portal.cookies.clear()
    await portal.get("/sign-in")  # this browser's own session

    answer = await portal.post("/sign-in", data={"csrf_token": theirs, "email": ADA.email, "password": PASSWORD})

    assert answer.status_code == 403


async def test_signing_out_ends_the_portal_session_and_identity_s(portal):
    await portal.sign_in()
    fields = await portal.form_fields("/subscriptions")

    out = await portal.post("/sign-out", data={"csrf_token": fields["csrf_token"]})

    assert out.status_code == 303 and out.headers["location"] == "/sign-in"
    [call] = portal.fakes.calls("POST", "/sessions/current/sign-out")
    assert call.headers["authorization"].startswith("Bearer ")
    assert len(portal.fakes.ended_sessions) == 1
    assert "portal_session" not in portal.cookies
    assert (await portal.get("/subscriptions")).status_code == 303


async def test_a_token_that_ended_elsewhere_ends_the_portal_session(portal):
    await portal.sign_in()
    portal.fakes.end_every_session()  # identity ended it (signed out elsewhere, or expired)

    answer = await portal.get("/subscriptions")

    assert answer.status_code == 303
    assert answer.headers["location"] == "/sign-in?next=/subscriptions"
    assert "portal_session" not in portal.cookies
    assert (await portal.get("/subscriptions")).status_code == 303


async def test_an_unknown_page_is_the_portal_s_not_found_page(portal):
    answer = await portal.get("/no/such/page")

    assert answer.status_code == 404
    assert "<h1>Not found</h1>" in answer.text
    assert answer.headers["content-type"].startswith("text/html")


async def test_the_kit_s_routes_still_answer_as_the_kit_does(portal):
    health = await portal.get("/health")
    assert health.status_code == 200
