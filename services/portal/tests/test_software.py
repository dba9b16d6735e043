""" "My software" (R40) for any signed-in person, the floating seats in use (R26) and the
devices holding node-locked keys with their deactivation (R27). The fake seats below answer the
paths and shapes of seats' `api/software.py`, `api/leases.py`, `api/devices.py` and
`api/users.py`: only the subscription's administrator sees its leases, keys and users."""

from __future__ import annotations

import re
from typing import Any

import httpx
import pytest

from servicekit.http.auth import Caller

from .conftest import ADA, EVE, hidden_fields, problem, subscription

ANN = Caller(person_id="p-ann", account_id="a-1", email="ann@example.com", name="Ann", locale="en")
PASSWORD = "Correct-Horse-9"
NOW = "2026-01-05T10:00:00Z"
UNTIL = "2026-01-05T11:00:00Z"


def user(person: Caller, first: str, last: str) -> dict[str, Any]:
    """A seat user as seats' `UserView` shows it."""
    return {
        "user_id": f"u-{person.person_id}",
        "email": person.email,
        "first_name": first,
        "last_name": last,
        "status": "registered",
        "person_id": person.person_id,
        "seat_assigned": True,
        "added_at": NOW,
        "invited_at": NOW,
    }


def key(key_id: str, holder: Caller | None = None, device: str | None = None) -> dict[str, Any]:
    """An activation key as seats' `KeyView` shows it."""
    return {
        "key_id": key_id,
        "active": holder is not None,
        "device_id": device,
        "device_name": f"{device} laptop" if device else None,
        "activated_at": NOW if holder else None,
        "activated_by": holder.person_id if holder else None,
    }


class Seats:
    """Seats' state for these pages, and its routes on the fake services."""

    def __init__(self, fakes) -> None:
        self.fakes = fakes
        self.software: dict[str, list[dict[str, Any]]] = {}  # person id → their software
        self.leases: dict[str, list[dict[str, Any]]] = {}
        self.keys: dict[str, list[dict[str, Any]]] = {}
        self.users: dict[str, list[dict[str, Any]]] = {}
        self.deactivations = 0
        self.holder_refusal: httpx.Response | None = None  # seats' answer to a holder past the limit
        fakes.route("seats", "GET", r"/me/software")(self.my_software)
        fakes.route("seats", "GET", r"/subscriptions/([^/]+)/leases")(self.list_leases)
        fakes.route("seats", "GET", r"/subscriptions/([^/]+)/users")(self.list_users)
        fakes.route("seats", "GET", r"/subscriptions/([^/]+)/keys")(self.list_keys)
        fakes.route("seats", "POST", r"/subscriptions/([^/]+)/keys/([^/]+)/deactivation")(self.deactivate)

    def _administers(self, caller: Caller | None, sid: str) -> bool:
        found = self.fakes.subscriptions.get(sid)
        return bool(
            caller
            and found
            and found["administrator_id"] == caller.person_id
            and found["account_id"] == caller.account_id
        )

    def my_software(self, request, caller, match) -> httpx.Response:
        if caller is None:
            return problem(401, "unauthenticated", "Sign in.")
        return httpx.Response(200, json={"software": self.software.get(caller.person_id, [])})

    def list_leases(self, request, caller, match) -> httpx.Response:
        if caller is None:
            return problem(401, "unauthenticated", "Sign in.")
        if not self._administers(caller, match.group(1)):
            return problem(404, "subscription_not_found", "No such subscription.")
        return httpx.Response(200, json=self.leases.get(match.group(1), []))

    def list_users(self, request, caller, match) -> httpx.Response:
        if not self._administers(caller, match.group(1)):
            return problem(404, "subscription_not_found", "No such subscription.")
        return httpx.Response(200, json={"users": self.users.get(match.group(1), [])})

    def list_keys(self, request, caller, match) -> httpx.Response:
        """A page at a time, as seats pages an object answer (`X-Next-Cursor`)."""
        if not self._administers(caller, match.group(1)):
            return problem(404, "subscription_not_found", "No such subscription.")
        every = self.keys.get(match.group(1), [])
        limit = int(request.url.params.get("limit", "50"))
        start = int(request.url.params.get("cursor", "0"))
        shown = every[start : start + limit]
        headers = {"X-Next-Cursor": str(start + limit)} if start + limit < len(every) else {}
        return httpx.Response(200, json={"keys": shown}, headers=headers)

    def deactivate(self, request, caller, match) -> httpx.Response:
        """The administrator, or the key's holder unless `holder_refusal` (seats' 429 past the
        resets allowed, or its 403 when resets are left to the administrator); anyone else: 404."""
        found = next((k for k in self.keys.get(match.group(1), []) if k["key_id"] == match.group(2)), None)
        holder = caller is not None and found is not None and found["activated_by"] == caller.person_id
        if not (self._administers(caller, match.group(1)) or holder):
            return problem(404, "subscription_not_found", "No such subscription.")
        if found is None:
            return problem(404, "activation_key_not_found", "No such activation key.")
        if holder and self.holder_refusal is not None and not self._administers(caller, match.group(1)):
            return self.holder_refusal
        if not found["active"]:
            return problem(409, "key_not_active", f"Key {found['key_id']} is not active on any device.")
        found.update(key(found["key_id"]))
        self.deactivations += 1
        return httpx.Response(200, json={**found, "event_ids": ["e-1"]})


@pytest.fixture
def seats(portal) -> Seats:
    portal.fakes.people[ANN.email] = (PASSWORD, ANN)
    return Seats(portal.fakes)


def item(sid: str, product: str, tier: str, licence: str, **held: Any) -> dict[str, Any]:
    """One entry of seats' `GET /me/software` (`SoftwareItem`)."""
    return {
        "subscription_id": sid,
        "product": product,
        "tier": tier,
        "licence_type": licence,
        "licence": {"named_user": "named seat", "floating": "floating pool"}.get(licence, "node-locked key"),
        "kind": held.get("kind"),
        "start_url": held.get("start_url"),
        "download_url": held.get("download_url"),
        "modules": held.get("modules", []),
        "add_ons": held.get("add_ons", []),
        "trial_ends_at": None,
        "assigned": True,
        "activation_key": held.get("activation_key"),
        "leases": held.get("leases", []),
        "devices": held.get("devices", []),
    }


def text(html: str) -> str:
    return re.sub(r"\s+", " ", re.sub(r"<[^>]+>", " ", html))


# -- My software (R40) --------------------------------------------------------------------------


async def test_R40_my_software_shows_every_product_and_the_licence_it_is_used_through(portal, seats):
    """Ann administers nothing: "My software" is for every signed-in person."""
    seats.software[ANN.person_id] = [
        item("s-named", "designer", "premium", "named_user"),
        item(
            "s-float",
            "printserver",
            "standard",
            "floating",
            leases=[{"lease_id": "l-1", "acquired_at": NOW, "expires_at": UNTIL}],
        ),
        item(
            "s-node",
            "printserver",
            "premium_plus",
            "node_locked",
            devices=[{"key_id": "k-1", "device_id": "dev-1", "device_name": "Ann's laptop", "activated_at": NOW}],
        ),
    ]
    await portal.sign_in(ANN)

    page = await portal.get("/software")

    assert page.status_code == 200
    shown = text(page.text)
    assert "3 products you may use now" in shown
    assert "designer Subscription s-named Premium · Named seat A seat is assigned to you" in shown
    assert "printserver Subscription s-float Standard · Floating pool A floating seat is yours until" in shown
    assert "printserver Subscription s-node Premium Plus · Node-locked key Your devices Ann&#39;s laptop" in shown
    assert '<a href="/software" aria-current="page">' in page.text
    [call] = portal.fakes.calls("GET", "/me/software")
    assert "email" not in call.url.params and "user_id" not in call.url.params  # only about the caller


async def test_R40_no_software_yet_is_explained(portal, seats):
    await portal.sign_in(ANN)
    page = await portal.get("/software")
    assert page.status_code == 200
    assert "No software yet" in page.text
    assert "When an administrator of your company assigns you one" in page.text


async def test_R40_a_floating_seat_not_taken_says_how_one_is_taken(portal, seats):
    seats.software[ANN.person_id] = [item("s-float", "printserver", "standard", "floating")]
    await portal.sign_in(ANN)
    assert "You take a seat from the pool when you start the product" in (await portal.get("/software")).text


async def test_R40_signed_out_goes_to_sign_in_and_back(portal, seats):
    answer = await portal.get("/software")
    assert answer.status_code == 303 and answer.headers["location"] == "/sign-in?next=/software"


async def test_R40_my_software_in_french(portal, seats):
    seats.software[ANN.person_id] = [item("s-named", "designer", "premium", "named_user")]
    await portal.sign_in(ANN)
    fields = hidden_fields((await portal.get("/software")).text)
    await portal.post("/language", data={"csrf_token": fields["csrf_token"], "locale": "fr", "next": "/software"})
    page = await portal.get("/software")
    assert '<html lang="fr">' in page.text and "designer" in page.text


async def test_R40_a_web_product_opens_and_a_desktop_product_downloads_from_the_catalogues_links(portal, seats):
    seats.software[ANN.person_id] = [
        item("s-web", "planner", "standard", "named_user", kind="web", start_url="https://planner.example/start"),
        item(
            "s-desk",
            "designer",
            "premium",
            "named_user",
            kind="desktop",
            start_url="https://designer.example/",
            download_url="https://downloads.example/designer/latest",
        ),
    ]
    await portal.sign_in(ANN)

    page = (await portal.get("/software")).text

    assert '<a class="button" href="https://planner.example/start" rel="noopener">Open planner</a>' in page
    download = "https://downloads.example/designer/latest"
    assert f'<a class="button" href="{download}" rel="noopener">Download designer</a>' in page
    assert '<a href="https://designer.example/" rel="noopener">The designer page</a>' in page
    assert "Download planner" not in page and "Open designer" not in page
    assert "<script>" not in page.split("</head>")[1]  # links, no script


@pytest.mark.parametrize(
    "url",
    [
        "javascript:alert(1)",
        "http://downloads.example/designer",
        "/relative/path",
        "https://user:secret@downloads.example/x",
        "https://downloads.example/a b",
        "https:///no-host",
    ],
)
async def test_R40_a_link_that_is_not_an_https_address_is_not_shown(portal, seats, url):
    seats.software[ANN.person_id] = [
        item("s-desk", "designer", "premium", "named_user", kind="desktop", start_url=url, download_url=url),
        item("s-web", "planner", "standard", "named_user", kind="web", start_url=url),
    ]
    await portal.sign_in(ANN)
    page = await portal.get("/software")
    assert page.status_code == 200
    assert 'rel="noopener"' not in page.text and "Download designer" not in page.text
    assert "Open planner" not in page.text


async def test_R40_a_product_from_before_the_catalogues_links_shows_no_link(portal, seats):
    seats.software[ANN.person_id] = [item("s-old", "designer", "premium", "named_user")]
    await portal.sign_in(ANN)
    page = await portal.get("/software")
    assert page.status_code == 200 and 'rel="noopener"' not in page.text


async def test_R40_modules_and_add_ons_in_a_short_line(portal, seats):
    seats.software[ANN.person_id] = [
        item("s-1", "designer", "premium", "named_user", modules=["modelling", "single_sign_on"], add_ons=["cloud"])
    ]
    await portal.sign_in(ANN)
    shown = text((await portal.get("/software")).text)
    assert "Modules: modelling, single sign on · Add-ons: cloud" in shown


async def test_R41_the_activation_key_kept_for_the_person_is_shown_to_them_with_how_to_use_it(portal, seats):
    seats.software[ANN.person_id] = [
        item("s-node", "designer", "premium", "node_locked", kind="desktop", activation_key="ABCD-EF01-2345-6789")
    ]
    seats.software[ADA.person_id] = [item("s-node", "designer", "premium", "node_locked")]
    await portal.sign_in(ANN)

    shown = text((await portal.get("/software")).text)

    assert "Your activation key: ABCD-EF01-2345-6789" in shown
    assert "Enter it in designer once on each device where you use it" in shown
    assert "Activate a key on your computer from the product" in shown  # no device yet
    [call] = portal.fakes.calls("GET", "/me/software")
    assert not call.url.params  # seats answers about the caller only: the key is theirs


async def test_R41_another_person_never_sees_someone_elses_key(portal, seats):
    seats.software[ANN.person_id] = [item("s-node", "designer", "premium", "node_locked", activation_key="ABCD-EF01")]
    seats.software[ADA.person_id] = [item("s-node", "designer", "premium", "node_locked")]
    await portal.sign_in()  # Ada, the administrator of the same company
    page = await portal.get("/software")
    assert page.status_code == 200 and "ABCD-EF01" not in page.text and "Your activation key" not in page.text


# -- Freeing one's own device: a device reset (R27, issue 14) ------------------------------------


def own_device(portal, seats) -> None:
    """Ann holds key k-1 of Ada's node-locked subscription, active on her laptop."""
    portal.fakes.subscriptions["s-n"] = subscription("s-n", ADA, licence_type="node_locked", quantity=1)
    seats.keys["s-n"] = [key("k-1", ANN, "dev-1")]
    seats.software[ANN.person_id] = [
        item(
            "s-n",
            "designer",
            "premium",
            "node_locked",
            activation_key="ABCD-EF01",
            devices=[{"key_id": "k-1", "device_id": "dev-1", "device_name": "Ann's laptop", "activated_at": NOW}],
        )
    ]


def reset_form(html: str) -> tuple[str, dict[str, str]]:
    [(action, body)] = re.findall(r'<form method="post" action="(/software/[^"]+/reset)"(.*?)</form>', html, re.S)
    return action, hidden_fields(body)


async def test_R27_the_holder_frees_their_own_device_once_however_often_the_form_is_sent(portal, seats):
    own_device(portal, seats)
    await portal.sign_in(ANN)
    page = await portal.get("/software")
    action, form = reset_form(page.text)
    assert action == "/software/s-n/devices/k-1/reset"
    assert 'Free this device<span class="visually-hidden"> Ann&#39;s laptop</span>' in page.text
    assert seats.deactivations == 0  # nothing happens before the click

    first = await portal.post(action, data=form)
    second = await portal.post(action, data=form)  # a double click

    assert first.status_code == second.status_code == 303
    assert first.headers["location"] == "/software?freed=k-1"
    calls = portal.fakes.calls("POST", "/subscriptions/s-n/keys/k-1/deactivation")
    assert [c.headers["idempotency-key"] for c in calls] == [form["idempotency_key"]] * 2
    assert all(c.headers["authorization"] != "" for c in calls)
    assert seats.deactivations == 1 and not seats.keys["s-n"][0]["active"]
    seats.software[ANN.person_id][0]["devices"] = []
    done = await portal.get(first.headers["location"])
    assert "The device is freed: your key can now be activated on another device." in done.text


async def test_R27_past_the_resets_allowed_the_refusal_says_when_to_try_again(portal, seats):
    own_device(portal, seats)
    refused = problem(429, "device_resets_exceeded", "You deactivated your keys 3 times in the last 30 days.")
    refused.headers["Retry-After"] = "7200"
    seats.holder_refusal = refused
    await portal.sign_in(ANN)
    action, form = reset_form((await portal.get("/software")).text)

    answer = await portal.post(action, data=form)

    assert answer.status_code == 429
    shown = text(answer.text)
    assert "The device was not freed" in shown
    assert "You have freed your devices as often as allowed in 30 days." in shown
    assert "You can free a device yourself again from 1/5/26, 11:00 AM." in shown  # T0 + 7200 s
    assert "administrator can free it at any time" in shown
    assert seats.deactivations == 0


async def test_R27_resets_left_to_the_administrator_are_explained_not_hidden(portal, seats):
    own_device(portal, seats)
    seats.holder_refusal = problem(403, "device_reset_by_administrator", "Only your administrator may.")
    await portal.sign_in(ANN)
    action, form = reset_form((await portal.get("/software")).text)
    answer = await portal.post(action, data=form)
    assert answer.status_code == 403
    assert "Only your subscription&#39;s administrator can free this device: ask them." in answer.text
    assert "You can free a device yourself again" not in answer.text


async def test_R27_another_persons_device_cannot_be_freed(portal, seats):
    own_device(portal, seats)
    portal.fakes.people[EVE.email] = (PASSWORD, EVE)
    await portal.sign_in(EVE)
    form = hidden_fields((await portal.get("/software")).text)
    answer = await portal.post("/software/s-n/devices/k-1/reset", data={**form, "idempotency_key": "k" * 32})
    assert answer.status_code == 404
    assert seats.keys["s-n"][0]["active"] and seats.deactivations == 0


async def test_R27_a_reset_without_the_forms_token_or_key_does_nothing(portal, seats):
    own_device(portal, seats)
    await portal.sign_in(ANN)
    action, form = reset_form((await portal.get("/software")).text)
    forged = await portal.post(action, data={**form, "csrf_token": "forged"})
    no_key = await portal.post(action, data={**form, "idempotency_key": ""})
    bad_id = await portal.post("/software/s-n/devices/bad%20id/reset", data=form)
    assert (forged.status_code, no_key.status_code, bad_id.status_code) == (403, 404, 404)
    assert not portal.fakes.calls("POST", "/subscriptions/s-n/keys/k-1/deactivation")


# -- Floating seats in use (R26) ----------------------------------------------------------------


async def test_R26_the_administrator_sees_who_holds_a_floating_seat_and_until_when(portal, seats):
    portal.fakes.subscriptions["s-f"] = subscription("s-f", ADA, licence_type="floating", quantity=5)
    seats.leases["s-f"] = [
        {
            "lease_id": "l-1",
            "subscription_id": "s-f",
            "person_id": ANN.person_id,
            "session_id": "x",
            "acquired_at": NOW,
            "expires_at": UNTIL,
            "released_at": None,
        }
    ]
    seats.users["s-f"] = [user(ANN, "Ann", "Smith")]
    await portal.sign_in()

    page = await portal.get("/subscriptions/s-f/floating")

    assert page.status_code == 200
    shown = text(page.text)
    assert "1 of 5 floating seats in use now" in shown
    assert "Ann Smith ann@example.com" in shown
    assert "1/5/26, 10:00 AM" in shown and "1/5/26, 11:00 AM" in shown  # since, until


async def test_R26_no_floating_seat_in_use(portal, seats):
    portal.fakes.subscriptions["s-f"] = subscription("s-f", ADA, licence_type="floating", quantity=5)
    await portal.sign_in()
    page = await portal.get("/subscriptions/s-f/floating")
    assert "No floating seat is in use right now: all 5 seats are free." in page.text
    assert not portal.fakes.calls("GET", "/subscriptions/s-f/users")  # nobody to name


async def test_R26_R15_another_companys_or_an_unknown_or_a_malformed_subscription_is_not_found(portal, seats):
    portal.fakes.subscriptions["s-eve"] = subscription("s-eve", EVE, licence_type="floating")
    await portal.sign_in()
    for path in (
        "/subscriptions/s-eve/floating",
        "/subscriptions/nope/floating",
        "/subscriptions/s-eve/devices",
        "/subscriptions/bad%20id/devices",
        "/subscriptions/s-eve/devices/k-1/deactivation",
    ):
        answer = await portal.get(path)
        assert answer.status_code == 404, path


async def test_R26_R27_signed_out_goes_to_sign_in(portal, seats):
    for path in ("/subscriptions/s-f/floating", "/subscriptions/s-n/devices"):
        answer = await portal.get(path)
        assert answer.status_code == 303 and answer.headers["location"].startswith("/sign-in?next=/subscriptions/")


# -- Node-locked devices (R27) ------------------------------------------------------------------


def node_locked(portal, seats, keys: list[dict[str, Any]]) -> None:
    portal.fakes.subscriptions["s-n"] = subscription("s-n", ADA, licence_type="node_locked", quantity=len(keys))
    seats.keys["s-n"] = keys
    seats.users["s-n"] = [user(ANN, "Ann", "Smith")]


async def test_R27_the_administrator_sees_the_device_each_key_is_active_on(portal, seats):
    node_locked(portal, seats, [key("k-1", ANN, "dev-1"), key("k-2")])
    await portal.sign_in()

    page = await portal.get("/subscriptions/s-n/devices")

    assert page.status_code == 200
    shown = text(page.text)
    assert "1 of 2 keys active on a device" in shown
    assert "k-1 dev-1 laptop dev-1 Ann Smith ann@example.com January 5, 2026 Deactivate key k-1" in shown
    assert "k-2 Not active on any device" in shown
    assert 'action="/subscriptions/s-n/devices/k-1/deactivation"' in page.text
    assert "k-2/deactivation" not in page.text


async def test_R27_every_page_of_keys_is_read(portal, seats):
    node_locked(portal, seats, [key(f"k-{n:04}") for n in range(1201)])
    await portal.sign_in()
    page = await portal.get("/subscriptions/s-n/devices")
    assert "0 of 1,201 keys active on a device" in text(page.text)
    assert len(portal.fakes.calls("GET", "/subscriptions/s-n/keys")) == 3


async def test_R27_deactivation_is_confirmed_then_sent_once_however_often_the_form_is_sent(portal, seats):
    node_locked(portal, seats, [key("k-1", ANN, "dev-1")])
    await portal.sign_in()

    confirm = await portal.get("/subscriptions/s-n/devices/k-1/deactivation")
    assert confirm.status_code == 200
    assert "The product stops working on this device at once." in confirm.text
    assert "Ann Smith (ann@example.com)" in confirm.text
    form = hidden_fields(confirm.text)
    assert seats.deactivations == 0  # nothing happens before the confirmation

    first = await portal.post("/subscriptions/s-n/devices/k-1/deactivation", data=form)
    second = await portal.post("/subscriptions/s-n/devices/k-1/deactivation", data=form)  # a double click

    assert first.status_code == second.status_code == 303
    assert first.headers["location"] == "/subscriptions/s-n/devices?deactivated=k-1"
    calls = portal.fakes.calls("POST", "/subscriptions/s-n/keys/k-1/deactivation")
    assert [c.headers["idempotency-key"] for c in calls] == [form["idempotency_key"]] * 2
    assert seats.deactivations == 1
    done = await portal.get(first.headers["location"])
    assert "Key k-1 is deactivated: it can now be activated on another device." in done.text
    assert "0 of 1 keys active on a device" in text(done.text)


async def test_R27_a_refusal_of_seats_is_shown_on_the_devices_page(portal, seats):
    node_locked(portal, seats, [key("k-1", ANN, "dev-1")])
    await portal.sign_in()
    form = hidden_fields((await portal.get("/subscriptions/s-n/devices/k-1/deactivation")).text)
    seats.keys["s-n"][0].update(key("k-1"))  # its holder deactivated it meanwhile

    answer = await portal.post("/subscriptions/s-n/devices/k-1/deactivation", data=form)

    assert answer.status_code == 409
    assert 'role="alert">This key is not active on any device any more.' in answer.text


async def test_R27_a_key_already_released_has_nothing_to_confirm(portal, seats):
    node_locked(portal, seats, [key("k-1")])
    await portal.sign_in()
    answer = await portal.get("/subscriptions/s-n/devices/k-1/deactivation")
    assert answer.status_code == 303 and answer.headers["location"] == "/subscriptions/s-n/devices"
    assert (await portal.get("/subscriptions/s-n/devices/k-9/deactivation")).status_code == 404


async def test_R27_a_deactivation_without_the_forms_token_or_key_does_nothing(portal, seats):
    node_locked(portal, seats, [key("k-1", ANN, "dev-1")])
    await portal.sign_in()
    form = hidden_fields((await portal.get("/subscriptions/s-n/devices/k-1/deactivation")).text)
    refused = await portal.post("/subscriptions/s-n/devices/k-1/deactivation", data={**form, "csrf_token": "forged"})
    no_key = await portal.post("/subscriptions/s-n/devices/k-1/deactivation", data={**form, "idempotency_key": ""})
    assert refused.status_code == 403 and no_key.status_code == 404
    assert seats.deactivations == 0


async def test_R27_another_companys_key_cannot_be_deactivated(portal, seats):
    portal.fakes.subscriptions["s-eve"] = subscription("s-eve", EVE, licence_type="node_locked")
    seats.keys["s-eve"] = [key("k-1", EVE, "dev-e")]
    node_locked(portal, seats, [key("k-1", ANN, "dev-1")])
    await portal.sign_in()
    form = hidden_fields((await portal.get("/subscriptions/s-n/devices/k-1/deactivation")).text)
    answer = await portal.post("/subscriptions/s-eve/devices/k-1/deactivation", data=form)
    assert answer.status_code == 404
    assert seats.keys["s-eve"][0]["active"] and seats.deactivations == 0


async def test_R27_the_devices_page_in_french(portal, seats):
    node_locked(portal, seats, [key("k-1", ANN, "dev-1")])
    await portal.sign_in()
    fields = hidden_fields((await portal.get("/subscriptions/s-n/devices")).text)
    await portal.post("/language", data={"csrf_token": fields["csrf_token"], "locale": "fr", "next": "/"})
    page = await portal.get("/subscriptions/s-n/devices")
    assert page.status_code == 200 and '<html lang="fr">' in page.text
    assert "5 janvier 2026" in page.text
