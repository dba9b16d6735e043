"""The shared test clock: the stack's time, and single subscriptions running ahead of it."""

from datetime import UTC, datetime, timedelta

from servicekit.clock import SharedTestClock

START = datetime(2026, 1, 5, 9, 0, tzinfo=UTC)


def frozen_clock(tmp_path) -> SharedTestClock:
    clock = SharedTestClock(tmp_path / "clock.json")
    clock.set_frozen(START)
    return clock


def test_a_subscription_moved_ahead_sees_its_own_time_and_the_others_do_not(tmp_path):
    clock = frozen_clock(tmp_path)
    clock.advance_subject("sub-a", START + timedelta(days=30))
    assert clock.now_for("sub-a") == START + timedelta(days=30)
    assert clock.now_for("sub-b") == clock.now_for(None) == clock.now() == START


def test_a_subscription_ahead_keeps_its_time_while_the_stack_catches_up(tmp_path):
    clock = frozen_clock(tmp_path)
    clock.advance_subject("sub-a", START + timedelta(days=30))
    clock.advance(timedelta(days=10))
    assert clock.now_for("sub-a") == START + timedelta(days=30)
    clock.advance(timedelta(days=25))
    assert clock.now_for("sub-a") == clock.now() == START + timedelta(days=35)
    assert clock.subject_offsets() == {}


def test_a_subscription_never_moves_back(tmp_path):
    clock = frozen_clock(tmp_path)
    clock.advance_subject("sub-a", START + timedelta(days=30))
    clock.advance_subject("sub-a", START + timedelta(days=3))
    assert clock.now_for("sub-a") == START + timedelta(days=30)


def test_every_process_reading_the_file_sees_the_same_times(tmp_path):
    writer, reader = frozen_clock(tmp_path), SharedTestClock(tmp_path / "clock.json")
    writer.advance_subject("sub-a", START + timedelta(days=2))
    assert reader.now_for("sub-a") == START + timedelta(days=2)
