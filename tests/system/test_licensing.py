"""Licensing from a product's side (issue 14), over the real stack: the example desktop product
(`examples/desktop_product`, built only on the client library `entitle-client`) run as separate
processes, as a product team would ship it.

- three copies share a floating pool of two seats (R26): two work, the third is told no seat is
  free, and gets one as soon as another copy signs out;
- a node-locked machine activates the key its user was mailed (R41, R27) and keeps working with
  the network cut (R42); a wrong fingerprint is refused offline; a deactivated key is refused at
  the next online check;
- a product's backend with its own credentials (a product client) asks about anyone of its
  product and learns nothing about another product.
"""

from __future__ import annotations

import json
import queue
import re
import subprocess
import sys
import threading
import time
from pathlib import Path

import httpx
import jwt

from devkit.client import EntitleClient, eventually
from devkit.mailbox import read_mailbox

EXAMPLES = Path(__file__).resolve().parents[2] / "examples"
PASSWORD = "Correct-Horse-9"
UNREACHABLE = "http://127.0.0.1:9"  # the network is cut: nothing answers there
KEY = re.compile(r"[0-9A-F]{4}-[0-9A-F]{4}-[0-9A-F]{4}-[0-9A-F]{4}")
DEADLINE = 60.0


class Product:
    """One running copy of the example desktop product, its JSON lines read as they come."""

    def __init__(self, stack, cache: Path, machine: str, *args: str, online: bool = True) -> None:
        identity, seats = (stack.config.url("identity"), stack.config.url("seats")) if online else (UNREACHABLE,) * 2
        command = [sys.executable, "-m", "desktop_product", "--identity-url", identity, "--seats-url", seats]
        command += ["--cache-dir", str(cache), "--clock-file", str(stack.config.clock_file), *args]
        env = {"ENTITLE_FINGERPRINT": machine, "PATH": "/usr/bin:/bin"}
        self.process = subprocess.Popen(command, cwd=EXAMPLES, env=env, stdout=subprocess.PIPE, text=True)
        self.lines: queue.Queue[dict] = queue.Queue()
        self.seen: list[dict] = []
        threading.Thread(target=self._read, daemon=True).start()

    def _read(self) -> None:
        assert self.process.stdout is not None
        for line in self.process.stdout:
            if line.startswith("{"):
                self.lines.put(json.loads(line))

    def wait_for(self, *events: str) -> dict:
        """The first line of one of `events`, within the deadline."""
        deadline = time.monotonic() + DEADLINE
        while time.monotonic() < deadline:
            try:
                line = self.lines.get(timeout=max(0.0, deadline - time.monotonic()))
            except queue.Empty:
                break
            self.seen.append(line)
            if line["event"] in events:
                return line
        raise AssertionError(f"none of {events} within {DEADLINE:.0f} s; saw {self.seen}")

    def finish(self) -> int:
        return self.process.wait(timeout=DEADLINE)

    def stop(self) -> int:
        self.process.terminate()  # the product's quit: it releases its seat
        return self.finish()


def active_subscription(customer: EntitleClient, quantity: int, **plan) -> str:
    sid = customer.purchase(quantity=quantity, **plan)["id"]
    customer.accept(sid)
    eventually(lambda: customer.seats(sid)["status"] == "unlocked", what="unlocked pool")
    return sid


def email_of(client: EntitleClient) -> str:
    return jwt.decode(client.token, options={"verify_signature": False})["email"]


def assign(customer: EntitleClient, sid: str, *people: EntitleClient) -> None:
    users = [{"email": email_of(p), "first_name": "Colleague", "last_name": "Tester"} for p in people]
    customer.call("seats", "POST", f"/subscriptions/{sid}/users", {"users": users, "assign_seats": True})


def test_R26_three_copies_of_a_desktop_product_share_a_floating_pool_of_two_seats(stack, api, customer, tmp_path):
    sid = active_subscription(customer, quantity=2, licence_type="floating")
    people = [api.new_customer(f"User {n}") for n in range(3)]
    assign(customer, sid, *people)
    run = ("--product", "designer", "--password", PASSWORD, "--run-seconds", "120")
    first, second = (
        Product(stack, tmp_path / f"copy-{n}", f"machine-{n}", "--email", email_of(people[n]), *run) for n in range(2)
    )
    leases = [copy.wait_for("lease") for copy in (first, second)]
    assert len({lease["lease_id"] for lease in leases}) == 2 and all(lease["tier"] for lease in leases)

    third = Product(stack, tmp_path / "copy-2", "machine-2", "--email", email_of(people[2]), *run)
    assert third.wait_for("no_seat")["code"] == "no_free_seat"
    assert third.finish() == 3

    assert first.stop() == 0  # quitting gives the seat back (R26)
    assert first.wait_for("released")["lease_id"] == leases[0]["lease_id"]
    again = Product(stack, tmp_path / "copy-2", "machine-2", *run)  # signed in already: kept 30 days (R42)
    assert again.wait_for("lease")["lease_id"] not in {lease["lease_id"] for lease in leases}
    assert second.stop() == 0 and again.stop() == 0
    in_use = customer.call("seats", "GET", f"/subscriptions/{sid}/leases")
    assert in_use == []


def test_R27_R41_R42_a_node_locked_machine_works_with_the_network_cut_and_a_deactivated_key_is_refused_online(
    stack, api, customer, tmp_path
):
    sid = active_subscription(customer, quantity=1, licence_type="node_locked")
    uma = api.new_customer("Uma User")
    assign(customer, sid, uma)
    mailed = eventually(
        lambda: [m for m in read_mailbox(stack.config.mail_dir) if m.template == "licence" and m.to == email_of(uma)],
        what="the licence e-mail (R41)",
    )
    key = KEY.search(mailed[0].text).group(0)
    cache = tmp_path / "uma"
    args = ("--product", "designer", "--email", email_of(uma), "--password", PASSWORD, "--licence-key", key)

    online = Product(stack, cache, "uma-laptop", *args)
    activated = online.wait_for("activated")
    assert activated["product"] == "designer"
    assert (online.wait_for("licence")["allowed"], online.finish()) == (True, 0)

    cut = Product(stack, cache, "uma-laptop", *args, online=False)  # R42: entered once per device
    offline = cut.wait_for("licence")
    assert (offline["allowed"], offline["offline"], cut.finish()) == (True, True, 0)

    elsewhere = Product(stack, cache, "another-machine", "--product", "designer", "--licence-key", key, online=False)
    assert elsewhere.finish() != 0  # the file is bound to uma-laptop's fingerprint

    [active] = [k for k in customer.call("seats", "GET", f"/subscriptions/{sid}/keys")["keys"] if k["device_id"]]
    customer.call("seats", "POST", f"/subscriptions/{sid}/keys/{active['key_id']}/deactivation")
    back_online = Product(stack, cache, "uma-laptop", "--product", "designer", "--licence-key", key)
    refused = back_online.wait_for("licence")
    assert (refused["allowed"], refused["offline"], back_online.finish()) == (False, False, 3)


def test_a_products_backend_asks_about_anyone_of_its_product_and_nothing_else(stack, api, customer):
    sid = active_subscription(customer, quantity=1)
    uma = api.new_customer("Uma User")
    assign(customer, sid, uma)
    identity, seats = stack.config.url("identity"), stack.config.url("seats")
    client = customer.call(
        "identity", "POST", "/ops/product-clients", {"product": "designer", "name": "licence server"}
    )
    token = httpx.post(
        f"{identity}/oauth/token",
        data={"grant_type": "client_credentials"},
        auth=(client["client_id"], client["client_secret"]),
        timeout=10,
    ).json()["access_token"]
    bearer = {"Authorization": f"Bearer {token}"}

    def ask(product: str) -> dict:
        params = {"product": product, "email": email_of(uma), "signed": "true"}
        return httpx.get(f"{seats}/access", params=params, headers=bearer, timeout=10).json()

    designer = ask("designer")
    assert (designer["allowed"], designer["subscription_id"]) == (True, sid) and designer["entitlement"]
    other = ask("printserver")  # another product's: the answer for nobody
    assert (other["allowed"], other["subscription_id"], other["entitlement"]) == (False, None, None)
    assert httpx.get(f"{seats}/subscriptions/{sid}/seats", headers=bearer, timeout=10).status_code == 403

    customer.call("identity", "DELETE", f"/ops/product-clients/{client['client_id']}")

    def refused() -> httpx.Response | None:
        answer = httpx.get(f"{seats}/access", params={"product": "designer", "email": "x@example.com"}, headers=bearer)
        return answer if answer.status_code == 401 else None

    assert eventually(refused, what="the revoked client's token refused by seats").json()["code"] == "unauthenticated"
