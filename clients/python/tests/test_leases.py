"""Floating seats (R26): checkout, the heartbeat loop (driven by an injected wait, no sleeping),
revival after a missed beat, loss, borrowing, release."""

from __future__ import annotations

import threading
from collections.abc import Callable
from datetime import timedelta

import pytest

from entitle_client import ApiError, EntitleError, Heartbeat, Lease


class Waits:
    """The heartbeat's wait: records each delay, moves the fake clock by it, runs the step the
    test planned for that wait, and stops the loop after the last step."""

    def __init__(self, entitle, steps: list[Callable[[], None] | None]) -> None:
        self.entitle = entitle
        self.steps = steps
        self.delays: list[float] = []

    def __call__(self, seconds: float) -> bool:
        if len(self.delays) == len(self.steps):
            return True  # stop
        self.delays.append(seconds)
        self.entitle.clock.advance(timedelta(seconds=seconds))
        step = self.steps[len(self.delays) - 1]
        if step is not None:
            step()
        return False


def loop(client, lease: Lease, waits: Waits, **kwargs) -> tuple[Heartbeat, list[str], list[EntitleError]]:
    events: list[str] = []
    lost: list[EntitleError] = []
    beat = Heartbeat(
        lease,
        client.heartbeat,
        client.clock,
        wait=waits,
        on_event=lambda _lease, what: events.append(what),
        on_lost=lambda _lease, error: lost.append(error),
        **kwargs,
    )
    beat.run()
    return beat, events, lost


@pytest.fixture
def signed_in(client):
    client.sign_in("alice@example.com", "right")
    return client


def test_R26_checkout_takes_a_seat_with_a_floating_entitlement(entitle, signed_in) -> None:
    lease = signed_in.checkout("designer", heartbeat=False)
    assert lease.active and lease.product == "designer" and lease.expires_at == entitle.clock.now() + timedelta(hours=1)
    assert lease.entitlement is not None and lease.entitlement.lease_id == lease.lease_id
    assert lease.entitlement.licence_type == "floating"
    assert "POST /products/designer/leases" in entitle.paths()


def test_R26_heartbeats_come_at_a_fraction_of_the_time_left_and_renew_the_lease(entitle, signed_in) -> None:
    lease = signed_in.checkout("designer", heartbeat=False)
    first = lease.entitlement
    waits = Waits(entitle, [None, None, None])
    beat, events, lost = loop(signed_in, lease, waits, fraction=1 / 3)
    assert waits.delays == [1200.0, 1200.0, 1200.0]
    assert events == ["heartbeat"] * 3 and beat.beats == 3 and not lost
    assert lease.expires_at == entitle.clock.now() + timedelta(hours=1)
    assert lease.entitlement is not None and lease.entitlement.jti != first.jti  # a fresh one each beat
    assert lease.entitlement.not_after == lease.expires_at


def test_R26_a_missed_heartbeat_is_retried_and_the_lease_revived_after_a_sleep(entitle, signed_in) -> None:
    lease = signed_in.checkout("designer", heartbeat=False)

    def cut() -> None:
        entitle.offline = True

    def sleep_two_hours_then_reconnect() -> None:
        entitle.clock.advance(timedelta(hours=2))
        entitle.offline = False

    waits = Waits(entitle, [cut, sleep_two_hours_then_reconnect, None])
    _beat, events, lost = loop(signed_in, lease, waits, fraction=1 / 3, retry=timedelta(seconds=30))
    assert events == ["missed", "revived", "heartbeat"] and not lost
    assert waits.delays[1] == 30.0  # the retry after a miss
    assert lease.active and lease.expires_at > entitle.clock.now()


def test_R26_a_lease_that_cannot_be_revived_stops_the_loop_and_tells_the_product(entitle, signed_in) -> None:
    lease = signed_in.checkout("designer", heartbeat=False)
    entitle.lease_answers = [409]
    waits = Waits(entitle, [None, None, None])
    beat, events, lost = loop(signed_in, lease, waits)
    assert len(waits.delays) == 1 and events == ["lost"] and beat.stopped
    assert isinstance(lost[0], ApiError) and lost[0].code == "lease_expired"
    assert not lease.active and lease.lost is lost[0]


def test_R26_a_lease_the_server_no_longer_knows_is_lost(entitle, signed_in) -> None:
    lease = signed_in.checkout("designer", heartbeat=False)
    entitle.lease_answers = [503, 404]  # a server error is a miss; then it is gone
    _beat, events, lost = loop(signed_in, lease, Waits(entitle, [None, None, None]))
    assert events == ["missed", "lost"] and isinstance(lost[0], ApiError) and lost[0].status == 404


def test_R26_the_heartbeat_thread_is_a_daemon_that_release_stops(entitle, new_client) -> None:
    client = new_client(wait=None)  # the default wait: 20 minutes on the stop event
    client.sign_in("alice@example.com", "right")
    lease = client.checkout("designer")
    beating = lease.heartbeat
    assert beating is not None and beating.alive and beating._thread.daemon
    lease.release()
    assert not beating.alive and lease.released and not lease.active
    assert entitle.leases[lease.lease_id].released and entitle.seats_free == 1


def test_R26_the_thread_tells_the_product_when_the_seat_is_lost(entitle, new_client) -> None:
    client = new_client(wait=lambda _seconds: False)  # beat at once, again and again
    client.sign_in("alice@example.com", "right")
    entitle.lease_answers = [409]
    told = threading.Event()
    lease = client.checkout("designer", on_lost=lambda _lease, _error: told.set())
    assert told.wait(10)
    assert lease.heartbeat is not None
    lease.heartbeat._thread.join(10)
    assert not lease.heartbeat.alive and lease.lost is not None


def test_R26_borrowing_takes_the_seat_offline_until_the_borrow_end(entitle, signed_in) -> None:
    lease = signed_in.checkout("designer", heartbeat=False)
    until = entitle.clock.now() + timedelta(days=3)
    lease.borrow(until)
    assert lease.borrowed_until == until and lease.entitlement.not_after == until
    entitle.offline = True
    entitle.clock.advance(timedelta(days=2))
    access = signed_in.check_access("designer")
    assert access.allowed and access.offline and access.licence_type == "floating"
    assert lease.usable(entitle.clock.now())
    entitle.clock.advance(timedelta(days=1, minutes=5))
    assert not signed_in.check_access("designer").allowed


def test_R26_release_gives_the_seat_back_and_forgets_its_entitlement(entitle, signed_in, tmp_path) -> None:
    lease = signed_in.checkout("designer", heartbeat=False)
    assert (tmp_path / "cache" / "entitlements" / "designer.jws").exists()
    signed_in.release(lease)
    assert entitle.paths()[-1] == f"DELETE /leases/{lease.lease_id}" and entitle.seats_free == 1
    assert not (tmp_path / "cache" / "entitlements" / "designer.jws").exists()
    signed_in.release(lease)  # again: the server no longer knows it, that is fine


def test_R26_sign_out_stops_the_heartbeats(entitle, new_client) -> None:
    client = new_client(wait=None)
    client.sign_in("alice@example.com", "right")
    lease = client.checkout("designer")
    assert lease.heartbeat is not None and lease.heartbeat.alive
    client.sign_out()
    assert not lease.heartbeat.alive and entitle.leases[lease.lease_id].released
