"""The relay's guard at a hole in the outbox seq (PostgreSQL): it waits a grace for the
transaction holding the earlier seq, and never for rows below what it already published."""

from __future__ import annotations

from servicekit.messaging.outboxgaps import GapGuard


class Ticks:
    """A monotonic time that only the test moves."""

    def __init__(self) -> None:
        self.now = 100.0

    def __call__(self) -> float:
        return self.now


def guard(grace: float = 1.0) -> tuple[GapGuard, Ticks]:
    ticks = Ticks()
    return GapGuard(grace, now=ticks), ticks


def test_a_relay_that_knows_nothing_yet_starts_from_the_first_row_it_reads():
    gaps, _ = guard()
    assert gaps.ready([7, 8, 9]) == 3


def test_a_hole_inside_the_first_batch_holds_back_the_rows_after_it():
    gaps, _ = guard()
    assert gaps.ready([7, 9, 10]) == 1


def test_rows_after_a_hole_wait_while_the_hole_may_still_commit():
    gaps, ticks = guard()
    gaps.published([1, 2, 3])
    assert gaps.ready([4, 6, 7]) == 1  # 5 is missing: 4 goes, 6 and 7 wait
    ticks.now += 0.5
    assert gaps.ready([6, 7]) == 0


def test_a_hole_that_fills_lets_everything_go_in_order():
    gaps, _ = guard()
    gaps.published([1, 2, 3, 4])
    assert gaps.ready([6, 7]) == 0
    assert gaps.ready([5, 6, 7]) == 3


def test_a_hole_still_open_after_the_grace_is_a_rollback_and_is_passed_over():
    gaps, ticks = guard(grace=1.0)
    gaps.published([1, 2])
    assert gaps.ready([4, 5]) == 0
    ticks.now += 1.0
    assert gaps.ready([4, 5]) == 2
    gaps.published([4, 5])
    assert gaps.ready([6]) == 1


def test_rows_below_what_was_published_go_at_once():
    """A late commit, or a topic rebuild marking old rows unpublished again."""
    gaps, _ = guard()
    gaps.published([10, 11, 12])
    assert gaps.ready([3, 4, 13]) == 3


def test_without_a_grace_nothing_is_held_back():
    gaps, _ = guard(grace=0.0)
    gaps.published([1])
    assert gaps.ready([5, 9]) == 2


def test_a_relay_that_takes_over_forgets_what_it_published_before():
    gaps, _ = guard()
    gaps.published([1, 2])
    gaps.reset()
    assert gaps.ready([40, 41]) == 2  # 3 to 39 were another relay's
