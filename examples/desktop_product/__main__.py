"""An example desktop product on Entitle, using only the client library (`entitle-client`).

    pip install -e clients/python
    cd examples && python -m desktop_product --email alice@example.com --password ... --product designer

Floating (the default): signs in (kept for 30 days on this machine) and takes a floating seat
in one call (`sign_in_and_checkout`, the guides' desktop sign-in, R26), or takes the seat
with the sign-in kept from an earlier run; keeps it with heartbeats in the background and
"works" for `--run-seconds`, then releases it; with `--sign-out`, signing out gives the seat
back instead (a borrowed one stays). Node-locked (`--licence-key XXXX-XXXX-XXXX-XXXX`):
activates the key on this machine's fingerprint (`ENTITLE_FINGERPRINT` overrides it), then
checks the licence file, offline when Entitle cannot be reached. `--check` only asks whether
the person may use the product (offline: the saved entitlement, until its not-after).

Each thing that happens is printed as one JSON line (`{"event": ...}`), for people and for
the system test that runs three copies on a two-seat pool. Exit codes: 0 ran, 3 refused (no
licence, no free seat, the seat lost), 4 Entitle unreachable and nothing saved to fall back
on, 5 clock turned back. Services: `--identity-url`/`--seats-url`, or `ENTITLE_IDENTITY_URL`
and `ENTITLE_SEATS_URL` (default the ports of `make run`).
"""

from __future__ import annotations

import argparse
import json
import os
import signal
import socket
import sys
import threading
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

from entitle_client import (
    Access,
    ApiError,
    ClockRollback,
    EntitleClient,
    EntitleError,
    Lease,
    NotSignedIn,
    Unreachable,
    fingerprint,
)

REFUSED, UNREACHABLE, ROLLBACK = 3, 4, 5


class TestStackClock:
    """The time of a test-clock stack (`servicekit.clock.SharedTestClock`'s file: frozen at a
    time, or running some seconds ahead of the wall clock), so that this product agrees with
    the stack on what its entitlements' dates mean. A real product uses the machine's clock."""

    def __init__(self, path: Path) -> None:
        self.path = path

    def now(self) -> datetime:
        state = json.loads(self.path.read_text() or "{}")
        if "frozen_at" in state:
            return datetime.fromisoformat(state["frozen_at"])
        return datetime.now(UTC) + timedelta(seconds=float(state.get("offset_seconds", 0)))


def say(event: str, **fields: Any) -> None:
    print(json.dumps({"event": event, "at": datetime.now(UTC).isoformat(timespec="seconds"), **fields}, default=str))
    sys.stdout.flush()


def describe(access: Access) -> dict[str, Any]:
    return {
        "allowed": access.allowed,
        "offline": access.offline,
        "reason": access.reason,
        "tier": access.tier,
        "licence_type": access.licence_type,
        "modules": list(access.modules),
        "add_ons": list(access.add_ons),
        "limits": dict(access.limits),
        "not_after": access.not_after,
    }


def arguments(argv: list[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(prog="desktop_product", description="An example desktop product on Entitle.")
    parser.add_argument("--email")
    parser.add_argument("--password", default=os.environ.get("ENTITLE_PASSWORD"))
    parser.add_argument("--product", default="designer")
    parser.add_argument("--identity-url", default=os.environ.get("ENTITLE_IDENTITY_URL", "http://127.0.0.1:8101"))
    parser.add_argument("--seats-url", default=os.environ.get("ENTITLE_SEATS_URL", "http://127.0.0.1:8103"))
    parser.add_argument("--cache-dir", default=str(Path.home() / ".cache" / "entitle-desktop-product"))
    parser.add_argument("--device-name", default=socket.gethostname()[:100])
    parser.add_argument("--licence-key", help="node-locked: the activation key")
    parser.add_argument("--check", action="store_true", help="only check access, then exit")
    parser.add_argument("--run-seconds", type=float, default=60.0, help="how long to 'work' with the seat")
    parser.add_argument("--borrow-days", type=float, help="floating: borrow the seat for offline use")
    parser.add_argument("--sign-out", action="store_true", help="sign out at the end")
    parser.add_argument(
        "--clock-file",
        help="for tests against a test-clock stack (`make run`, Entitle's own tests): read 'now' from "
        "the stack's clock file instead of this machine's clock",
    )
    return parser.parse_args(argv)


def needs_sign_in(client: EntitleClient, options: argparse.Namespace) -> bool:
    if client.signed_in and (options.email is None or options.email == client.email):
        return False
    if not options.email or not options.password:
        raise NotSignedIn(401, "not_signed_in", "Not signed in on this computer: give --email and --password.")
    return True


def sign_in_if_needed(client: EntitleClient, options: argparse.Namespace) -> None:
    if needs_sign_in(client, options):
        client.sign_in(options.email, options.password, device_name=options.device_name)
        say("signed_in", email=options.email, person_id=client.person_id)


def node_locked(client: EntitleClient, options: argparse.Namespace) -> int:
    device = fingerprint()
    try:
        client.licence_file(options.product, device)
    except EntitleError:  # none saved yet (or no longer valid): activate
        sign_in_if_needed(client, options)
        licence = client.activate(options.licence_key, device, device_name=options.device_name)
        say("activated", product=licence.product, not_after=licence.not_after, fingerprint=device)
    access = client.check_licence(options.product, device)
    say("licence", **describe(access))
    return 0 if access.allowed else REFUSED


def floating(client: EntitleClient, options: argparse.Namespace) -> int:
    lost = threading.Event()
    done = threading.Event()

    def on_lost(lease: Lease, error: EntitleError) -> None:
        say("lease_lost", lease_id=lease.lease_id, reason=str(error))
        lost.set()
        done.set()

    def on_event(lease: Lease, what: str) -> None:
        say(what, lease_id=lease.lease_id)

    signing_in = needs_sign_in(client, options)
    try:
        if signing_in:
            # The guides' desktop sign-in (R26): one call signs in and takes the seat, bound to
            # this sign-in; with no seat free the person stays signed in (the ApiError below).
            lease = client.sign_in_and_checkout(
                options.email,
                options.password,
                options.product,
                device_name=options.device_name,
                on_lost=on_lost,
                on_event=on_event,
            )
            say("signed_in", email=options.email, person_id=client.person_id)
        else:  # kept signed in from an earlier run (R42)
            lease = client.checkout(options.product, on_lost=on_lost, on_event=on_event)
    except NotSignedIn:
        raise  # a wrong password, or the kept sign-in ended: `main` says so
    except ApiError as refused:
        if signing_in and client.signed_in:
            say("signed_in", email=options.email, person_id=client.person_id)
        say("no_seat", code=refused.code, message=refused.message)
        return REFUSED
    say("lease", lease_id=lease.lease_id, expires_at=lease.expires_at, tier=_tier(lease))
    if options.borrow_days:
        lease.borrow(client.clock.now() + timedelta(days=options.borrow_days))
        say("borrowed", lease_id=lease.lease_id, until=lease.borrowed_until)
    for stop in (signal.SIGINT, signal.SIGTERM):
        signal.signal(stop, lambda *_: done.set())
    done.wait(options.run_seconds)  # the product's work; the heartbeat runs beside it
    if lost.is_set():
        return REFUSED
    if not options.borrow_days and not options.sign_out:  # with --sign-out, signing out gives it back
        try:
            lease.release()
            say("released", lease_id=lease.lease_id)
        except Unreachable as error:
            say("release_failed", reason=str(error))  # it expires on its own within the hour
    return 0


def _tier(lease: Lease) -> str | None:
    return lease.entitlement.tier if lease.entitlement is not None else None


def main(argv: list[str] | None = None) -> int:
    options = arguments(argv)
    clock = TestStackClock(Path(options.clock_file)) if options.clock_file else None
    with EntitleClient(options.identity_url, options.seats_url, cache_dir=options.cache_dir, clock=clock) as client:
        try:
            if options.licence_key:
                code = node_locked(client, options)
            elif options.check:
                sign_in_if_needed(client, options)
                access = client.check_access(options.product)
                say("access", **describe(access))
                code = 0 if access.allowed else REFUSED
            else:
                code = floating(client, options)
            if options.sign_out and client.signed_in:
                held = client.leases
                client.sign_out()  # gives back the seats taken with this sign-in, a borrowed one excepted
                for lease in held:
                    if lease.released:
                        say("released", lease_id=lease.lease_id)
                say("signed_out")
            return code
        except ClockRollback as error:
            say("clock_rollback", reason=str(error))
            return ROLLBACK
        except Unreachable as error:
            say("unreachable", reason=str(error))
            return UNREACHABLE
        except EntitleError as error:
            say("refused", reason=str(error))
            return REFUSED


if __name__ == "__main__":
    sys.exit(main())
