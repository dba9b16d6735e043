"""Failed sign-ins slow further attempts down (R1 credentials): 5 free, then 30 s doubling to 15 min."""

from datetime import timedelta

import pytest
from hypothesis import given
from hypothesis import strategies as st

from contracts.testing import T0
from identity.domain.throttle import LONGEST_WAIT, SignInThrottle, TooManySignInAttempts, wait_after

NOW = T0  # as in conftest.py


def fail(throttle: SignInThrottle, times: int, every: timedelta = timedelta(seconds=1)) -> None:
    at = throttle.last_failure_at or NOW
    for _ in range(times):
        at = max(at + every, throttle.blocked_until or at)
        throttle.record_failure(at)


def test_R1_five_failures_within_15_minutes_block_sign_in_for_30_seconds():
    throttle = SignInThrottle("ada@example.com")
    fail(throttle, 4)
    throttle.check(throttle.last_failure_at)
    fail(throttle, 1)
    with pytest.raises(TooManySignInAttempts) as refused:
        throttle.check(throttle.last_failure_at)
    assert refused.value.retry_after_seconds == 30
    throttle.check(throttle.last_failure_at + timedelta(seconds=30))


def test_R1_the_wait_doubles_with_each_failure_up_to_15_minutes():
    assert [wait_after(n).total_seconds() for n in range(5, 12)] == [30, 60, 120, 240, 480, 900, 900]


@given(st.integers(min_value=5, max_value=10_000))
def test_R1_the_wait_grows_and_never_exceeds_15_minutes(failures):
    assert wait_after(failures) <= LONGEST_WAIT
    assert wait_after(failures) <= wait_after(failures + 1)


def test_R1_a_quiet_quarter_of_an_hour_forgives_earlier_failures():
    throttle = SignInThrottle("ada@example.com")
    fail(throttle, 4)
    fail(throttle, 1, every=timedelta(minutes=15, seconds=1))
    assert throttle.failures == 1
    throttle.check(throttle.last_failure_at)


def test_R1_a_successful_sign_in_resets_the_count():
    throttle = SignInThrottle("ada@example.com")
    fail(throttle, 6)
    throttle.reset()
    throttle.check(NOW)
    fail(throttle, 4)
    throttle.check(throttle.last_failure_at)
