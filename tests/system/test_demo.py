"""`make demo` is a system test too: a year of one annual subscription, end to end."""

from devkit.demo import run_year


def test_R29_R30_make_demo_lives_a_year_of_an_annual_subscription(stack):
    run_year(stack.config)  # each step waits for its effect and fails when it does not come
