"""`make demo` is a system test too: a year of one annual subscription, end to end, ending with
the portal links for the demo's people (issue 13), each of which opens a page."""

import httpx

from devkit.demo import run_year


def test_R29_R30_make_demo_lives_a_year_of_an_annual_subscription(stack):
    links = run_year(stack.config)  # each step waits for its effect and fails when it does not come
    assert len(links) == 6
    for link in links:  # signed out: the page itself, or the sign-in page that leads back to it
        answer = httpx.get(link, follow_redirects=True, timeout=10)
        assert answer.status_code == 200 and "<h1>" in answer.text, link
