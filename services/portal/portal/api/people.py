"""The users of a subscription ("Gérer les utilisateurs", R21–R25, R5) and the company-wide
licence view (R39).

`/subscriptions/{id}/users` lists a page of the pool's users (search, status filter, seats used
of the quantity) and carries the commands: add one user (R22, R25), assign and unassign a
selection (R25, R24), remove a selection after a confirmation step (R24: the seat is freed and
access ends at once; the user stays listed, R5), resend invitations to a selection or to every
pending user (R22). `/licences` shows every licence the person administers with its users,
searchable, and assigns a user to a licence from that one page (R39).

Upstream calls, all with the person's token (commands with the form's Idempotency-Key):
- seats `GET /subscriptions/{id}/seats` (quantity, seats used, access suspended for an overdue
  invoice: issue 15) and `GET /subscriptions/{id}/users` (one page: `limit`, `cursor`, `text`,
  `status`), subscriptions `GET /subscriptions/{id}`
  (product and tier): three calls per users page, whatever the number of users;
- seats `POST /subscriptions/{id}/users`, `.../users/assignments`, `.../users/unassign`,
  `.../users/invitations/resend`, `.../seats/assignments`;
- seats `GET /licences` (`text`, `limit`, `cursor`): one call per licence page.
"""

from __future__ import annotations

import asyncio
from collections.abc import Mapping
from typing import Any
from urllib.parse import urlencode

from fastapi import APIRouter
from fastapi.responses import Response
from starlette.datastructures import FormData

from portal.adapters.rendering import N_
from portal.adapters.upstream import UpstreamProblem
from portal.api.deps import ID, BrowserDep, PageNotFound, new_key, valid_id
from portal.api.forms import cursor as valid_cursor
from portal.api.forms import idempotency_key, one_line, refusal, shown, valid_email
from portal.api.names import render_named
from portal.api.suspension import payment_overdue

router = APIRouter(tags=["pages"], include_in_schema=False)

PAGE_SIZE = 100  # users a page shows: one upstream list call each
MAX_SELECTION = 1000  # seats takes at most this many users a request
MAX_TEXT = 200  # a name or a search, as seats bounds them
MAX_EMAIL = 320

# Seats' user statuses (`UserStatus`): the filter offers these.
STATUSES = {"invited": N_("Invited"), "registered": N_("Registered")}

# What a finished command says on the page it returns to (`?done=`).
DONE = {
    "added": N_("The user is added and invited by e-mail."),
    "assigned": N_("The selected users have a seat."),
    "unassigned": N_("The seats of the selected users are free; they no longer have access."),
    "removed": N_("The selected users are removed from their seats and no longer have access."),
    "resent": N_("The invitations are sent again."),
}


def _selection(form: FormData) -> list[str]:
    chosen = list(dict.fromkeys(str(v) for v in form.getlist("user_id")))
    if any(not ID.fullmatch(i) for i in chosen):
        raise PageNotFound()  # ids this portal never showed
    return chosen


def _selection_problem(chosen: list[str]) -> UpstreamProblem | None:
    """Nobody selected, or more than seats takes in one request."""
    if not chosen:
        return refusal("nothing_selected")
    return refusal("too_many_recipients") if len(chosen) > MAX_SELECTION else None


def _filters(q: str | None, status: str | None) -> tuple[str, str]:
    return one_line(q)[:MAX_TEXT], status if status in STATUSES else ""


def _users_url(subscription_id: str, q: str = "", status: str = "", done: str = "", cursor: str = "") -> str:
    query = {k: v for k, v in (("q", q), ("status", status), ("cursor", cursor), ("done", done)) if v}
    return f"/subscriptions/{subscription_id}/users" + (f"?{urlencode(query)}" if query else "")


# -- the users of one subscription ---------------------------------------------------------


@router.get("/subscriptions/{subscription_id}/users")
async def users_page(
    subscription_id: str,
    browser: BrowserDep,
    q: str | None = None,
    status: str | None = None,
    cursor: str | None = None,
    done: str | None = None,
) -> Response:
    text, status = _filters(q, status)
    return await _users(
        browser,
        valid_id(subscription_id),
        text,
        status,
        cursor=valid_cursor(cursor),
        done=done if done in DONE else "",
    )


@router.post("/subscriptions/{subscription_id}/users")
async def add_user(subscription_id: str, browser: BrowserDep) -> Response:
    """Add one user (R22), with a seat when asked and one is free (R25)."""
    subscription_id = valid_id(subscription_id)
    form = await browser.form()
    token = browser.token
    key = idempotency_key(form, "add_key")
    typed = {
        "email": one_line(form.get("email")).lower(),
        "first_name": one_line(form.get("first_name")),
        "last_name": one_line(form.get("last_name")),
        "assign": form.get("assign") == "yes",
    }
    text, status = _filters(str(form.get("q", "")), str(form.get("status", "")))
    invalid = _new_user_problem(typed)
    if invalid is not None:
        return await _users(browser, subscription_id, text, status, problem=invalid, typed=typed)
    body = {
        "users": [{k: typed[k] for k in ("email", "first_name", "last_name")} | {"locale": browser.locale}],
        "assign_seats": typed["assign"],
    }
    try:
        await browser.upstream.seats.command("POST", f"/subscriptions/{subscription_id}/users", token, key, body)
    except UpstreamProblem as problem:
        if not shown(problem):
            raise
        return await _users(browser, subscription_id, text, status, problem=problem, typed=typed)
    return browser.redirect(_users_url(subscription_id, text, status, done="added"))


def _new_user_problem(typed: Mapping[str, Any]) -> UpstreamProblem | None:
    if not typed["email"]:
        return refusal("email_required")
    if not valid_email(typed["email"], MAX_EMAIL):
        return refusal("email_invalid")
    if not typed["first_name"] or not typed["last_name"]:
        return refusal("user_name_required")
    if len(typed["first_name"]) > MAX_TEXT or len(typed["last_name"]) > MAX_TEXT:
        return refusal("text_too_long")
    return None


# The grid's buttons: each its own command upstream, its own key, its own answer.
GRID = {
    "assign": ("assign_key", "/users/assignments", "assigned"),
    "unassign": ("unassign_key", "/users/unassign", "unassigned"),
    "resend": ("resend_key", "/users/invitations/resend", "resent"),
}


@router.post("/subscriptions/{subscription_id}/users/assign")
async def assign_users(subscription_id: str, browser: BrowserDep) -> Response:
    """Give the selected users a seat, all or none if too few are free (R25)."""
    return await _grid(browser, valid_id(subscription_id), "assign")


@router.post("/subscriptions/{subscription_id}/users/unassign")
async def unassign_users(subscription_id: str, browser: BrowserDep) -> Response:
    """Free the selected users' seats: their access ends at once (R24); they stay listed (R5)."""
    return await _grid(browser, valid_id(subscription_id), "unassign")


@router.post("/subscriptions/{subscription_id}/users/resend")
async def resend_invitations(subscription_id: str, browser: BrowserDep) -> Response:
    """Invite the selected users again (R22)."""
    return await _grid(browser, valid_id(subscription_id), "resend")


@router.post("/subscriptions/{subscription_id}/users/resend-all")
async def resend_to_all(subscription_id: str, browser: BrowserDep) -> Response:
    """Invite again every user who has not registered yet (R22)."""
    return await _resend_all(browser, valid_id(subscription_id))


@router.post("/subscriptions/{subscription_id}/users/remove")
async def remove_users(subscription_id: str, browser: BrowserDep) -> Response:
    """Remove the selected users (R24), after a confirmation step."""
    return await _remove(browser, valid_id(subscription_id))


async def _grid(browser: BrowserDep, subscription_id: str, action: str) -> Response:
    field, path, done = GRID[action]
    form = await browser.form()
    token = browser.token
    key = idempotency_key(form, field)
    chosen = _selection(form)
    text, status = _filters(str(form.get("q", "")), str(form.get("status", "")))
    if (refused := _selection_problem(chosen)) is not None:
        return await _users(browser, subscription_id, text, status, problem=refused, selected=chosen)
    try:
        await browser.upstream.seats.command(
            "POST", f"/subscriptions/{subscription_id}{path}", token, key, {"user_ids": chosen}
        )
    except UpstreamProblem as problem:
        if not shown(problem):
            raise
        return await _users(browser, subscription_id, text, status, problem=problem, selected=chosen)
    return browser.redirect(_users_url(subscription_id, text, status, done=done))


async def _resend_all(browser: BrowserDep, subscription_id: str) -> Response:
    form = await browser.form()
    token = browser.token
    key = idempotency_key(form, "resend_all_key")
    text, status = _filters(str(form.get("q", "")), str(form.get("status", "")))
    try:
        await browser.upstream.seats.command(
            "POST", f"/subscriptions/{subscription_id}/users/invitations/resend", token, key, {"all": True}
        )
    except UpstreamProblem as problem:
        if not shown(problem):
            raise
        return await _users(browser, subscription_id, text, status, problem=problem)
    return browser.redirect(_users_url(subscription_id, text, status, done="resent"))


async def _remove(browser: BrowserDep, subscription_id: str) -> Response:
    """R24 after a confirmation step that works without JavaScript: the first post shows who
    will lose access; the confirmed one frees their seats. Users are never deleted (R5): they
    stay listed and can be given a seat again."""
    form = await browser.form()
    token = browser.token
    chosen = _selection(form)
    text, status = _filters(str(form.get("q", "")), str(form.get("status", "")))
    if (refused := _selection_problem(chosen)) is not None:
        return await _users(browser, subscription_id, text, status, problem=refused, selected=chosen)
    if form.get("confirm") != "yes":
        return await _confirm_removal(browser, subscription_id, chosen, text, status)
    key = idempotency_key(form, "remove_key")
    try:
        await browser.upstream.seats.command(
            "POST", f"/subscriptions/{subscription_id}/users/unassign", token, key, {"user_ids": chosen}
        )
    except UpstreamProblem as problem:
        if not shown(problem):
            raise
        return await _confirm_removal(browser, subscription_id, chosen, text, status, problem=problem)
    return browser.redirect(_users_url(subscription_id, text, status, done="removed"))


async def _confirm_removal(
    browser: BrowserDep,
    subscription_id: str,
    chosen: list[str],
    text: str,
    status: str,
    problem: UpstreamProblem | None = None,
) -> Response:
    """Who will lose access, and who has no seat to lose (nothing to do for them)."""
    token = browser.token
    wanted = set(chosen)
    found = [u for u in await _every_user(browser, subscription_id, token) if u["user_id"] in wanted]
    return await browser.render(
        "people/remove.html",
        status_code=problem.status if problem else 200,
        subscription_id=subscription_id,
        holders=[u for u in found if u["seat_assigned"]],
        seatless=[u for u in found if not u["seat_assigned"]],
        key=new_key(),
        q=text,
        status=status,
        problem=problem,
    )


async def _every_user(browser: BrowserDep, subscription_id: str, token: str) -> list[dict[str, Any]]:
    users: list[dict[str, Any]] = await browser.upstream.seats.get_all(
        f"/subscriptions/{subscription_id}/users", token, items="users"
    )
    return users


async def _users(
    browser: BrowserDep,
    subscription_id: str,
    text: str,
    status: str,
    *,
    cursor: str = "",
    done: str = "",
    problem: UpstreamProblem | None = None,
    typed: Mapping[str, Any] | None = None,
    selected: list[str] | None = None,
) -> Response:
    token = browser.token
    params: dict[str, str | int] = {"limit": PAGE_SIZE}
    if text:
        params["text"] = text
    if status:
        params["status"] = status
    if cursor:
        params["cursor"] = cursor
    subscription, pool, listing = await asyncio.gather(
        browser.upstream.subscriptions.get(f"/subscriptions/{subscription_id}", token),
        browser.upstream.seats.get(f"/subscriptions/{subscription_id}/seats", token),
        browser.upstream.seats.get(f"/subscriptions/{subscription_id}/users", token, params),
    )
    next_cursor = listing.headers.get("x-next-cursor", "")
    return await render_named(
        browser,
        "people/users.html",
        status_code=problem.status if problem else 200,
        subscription_id=subscription_id,
        subscription=subscription.body,
        pool=pool.body,
        overdue=payment_overdue(pool.body, subscription.body, browser.signed_in().person_id),
        users=listing.body["users"],
        q=text,
        status=status,
        statuses=STATUSES,
        first_page=_users_url(subscription_id, text, status) if cursor else "",
        next_page=_users_url(subscription_id, text, status, cursor=next_cursor) if next_cursor else "",
        done=DONE.get(done, ""),
        problem=problem,
        # A seat is offered with a new user once there are seats to give (R21).
        typed=typed or {"email": "", "first_name": "", "last_name": "", "assign": pool.body["status"] == "unlocked"},
        selected=set(selected or ()),
        keys={name: new_key() for name in ("add_key", "assign_key", "unassign_key", "resend_key", "resend_all_key")},
    )


# -- the company-wide licence view (R39) ---------------------------------------------------


@router.get("/licences")
async def licences_page(
    browser: BrowserDep, q: str | None = None, cursor: str | None = None, done: str | None = None
) -> Response:
    return await _licences(
        browser,
        one_line(q)[:MAX_TEXT],
        cursor=valid_cursor(cursor),
        done=done if done == "assigned" else "",
    )


@router.post("/licences/assign")
async def assign_licence(browser: BrowserDep) -> Response:
    """Give a user of the company a seat of one licence (R39, R25): one already listed in it by
    their user id; anyone else is added to it with their names and a seat (R22, R4)."""
    form = await browser.form()
    token = browser.token
    key = idempotency_key(form, "idempotency_key")
    text = one_line(form.get("q"))[:MAX_TEXT]
    choice = str(form.get("licence", ""))
    subscription_id, _, user_id = choice.partition("/")
    body: dict[str, Any]
    if not choice:
        return await _licences(browser, text, problem=refusal("licence_required"))
    valid_id(subscription_id)
    if user_id:
        valid_id(user_id)
        path, body = f"/subscriptions/{subscription_id}/users/assignments", {"user_ids": [user_id]}
    else:
        typed = {
            "email": one_line(form.get("email")).lower(),
            "first_name": one_line(form.get("first_name")),
            "last_name": one_line(form.get("last_name")),
        }
        if not valid_email(typed["email"], MAX_EMAIL):
            raise PageNotFound()  # the page gave an address seats listed: this form is not ours
        if typed["first_name"] and typed["last_name"]:
            path = f"/subscriptions/{subscription_id}/users"
            body = {"users": [typed], "assign_seats": True}
        else:  # listed by e-mail alone elsewhere: seats lists and invites by the address (R22)
            path, body = f"/subscriptions/{subscription_id}/seats/assignments", {"email": typed["email"]}
    try:
        await browser.upstream.seats.command("POST", path, token, key, body)
    except UpstreamProblem as problem:
        if not shown(problem):
            raise
        return await _licences(browser, text, problem=problem)
    return browser.redirect("/licences?" + urlencode({k: v for k, v in (("q", text), ("done", "assigned")) if v}))


async def _licences(
    browser: BrowserDep, text: str, *, cursor: str = "", done: str = "", problem: UpstreamProblem | None = None
) -> Response:
    params: dict[str, str | int] = {"limit": PAGE_SIZE}
    if text:
        params["text"] = text
    if cursor:
        params["cursor"] = cursor
    answer = await browser.upstream.seats.get("/licences", browser.token, params)
    licences = answer.body["licences"]
    by_id = {lic["subscription_id"]: lic for lic in licences}
    people = _people(answer.body["users"], by_id)
    next_cursor = answer.headers.get("x-next-cursor", "")
    query = {"q": text} if text else {}
    return await render_named(
        browser,
        "people/licences.html",
        status_code=problem.status if problem else 200,
        licences=licences,
        people=people,
        q=text,
        first_page=("/licences?" + urlencode(query)) if cursor else "",
        next_page=("/licences?" + urlencode({**query, "cursor": next_cursor})) if next_cursor else "",
        done=DONE["assigned"] if done else "",
        problem=problem,
    )


def _people(users: list[dict[str, Any]], licences: Mapping[str, dict[str, Any]]) -> list[dict[str, Any]]:
    """Seats' rows (one per user of a licence, by e-mail) as one row per person: the licences
    they are on, and the licences they could be given a seat of (active, not held yet)."""
    people: dict[str, dict[str, Any]] = {}
    for u in users:
        person = people.setdefault(
            u["email"], {"email": u["email"], "first_name": "", "last_name": "", "on": [], "listed": {}}
        )
        person["first_name"] = person["first_name"] or u["first_name"]
        person["last_name"] = person["last_name"] or u["last_name"]
        lic = licences.get(u["subscription_id"])
        if lic is not None:
            person["on"].append({"licence": lic, "seat": u["seat_assigned"], "status": u["status"]})
            person["listed"][u["subscription_id"]] = (u["user_id"], u["seat_assigned"])
    for person in people.values():
        choices = []
        for sid, lic in licences.items():
            user_id, seat = person["listed"].get(sid, ("", False))
            if lic["status"] == "unlocked" and not seat:
                choices.append({"value": f"{sid}/{user_id}" if user_id else sid, "licence": lic})
        person["choices"] = choices
        person["key"] = new_key()
    return list(people.values())
