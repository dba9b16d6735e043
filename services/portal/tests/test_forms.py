"""The pages' shared helpers (portal.api.forms) and the overview's links and scheduled decrease
(R35), shown from one table of refusals (rendering.PROBLEMS)."""

from __future__ import annotations

import httpx
import pytest

from portal.adapters.rendering import PROBLEMS, problem_text
from portal.adapters.upstream import UpstreamProblem
from portal.api import forms
from portal.api.deps import PageNotFound

from .conftest import ADA, subscription


def test_a_form_without_a_rendered_key_is_not_this_portal_s():
    assert forms.idempotency_key({"idempotency_key": "k" * 24}) == "k" * 24
    with pytest.raises(PageNotFound):
        forms.idempotency_key({"idempotency_key": "short"})
    assert forms.key_or_new({}) != forms.key_or_new({})


@pytest.mark.parametrize(("status", "outcome"), [(422, None), (409, None), (404, PageNotFound), (403, PageNotFound)])
def test_a_4xx_is_shown_on_the_page_and_403_404_is_the_not_found_page(status, outcome):
    problem = UpstreamProblem("seats", status, "no_free_seat", "No free seat.")
    if outcome is None:
        forms.ensure_shown(problem)
        assert forms.shown(problem)
    else:
        with pytest.raises(outcome):
            forms.ensure_shown(problem)


@pytest.mark.parametrize("status", [401, 500, 503])
def test_401_and_5xx_go_on_to_the_error_pages(status):
    problem = UpstreamProblem("seats", status, "x", "x")
    assert not forms.shown(problem)
    with pytest.raises(UpstreamProblem):
        forms.ensure_shown(problem)


def test_typed_text_is_checked_at_the_edge():
    assert forms.valid_email("ann@example.com") and not forms.valid_email("ann@example")
    assert not forms.valid_email("a@b.co, eve@x.io") and not forms.valid_email("a" * 250 + "@b.co")
    assert forms.fits("one line", 10) and not forms.fits("two\nlines", 100) and not forms.fits("long", 3)
    assert forms.one_line("  Ann \n Able ") == "Ann Able"
    assert forms.cursor("abc_=-") == "abc_=-" and forms.cursor("../x") == "" and forms.cursor(None) == ""


def test_the_portal_s_own_refusals_are_worded_in_the_one_table():
    refused = forms.refusal("nothing_selected")
    assert refused.status == 422 and refused.service == "portal"
    assert problem_text(refused, lambda text: text) == PROBLEMS["nothing_selected"]
    assert problem_text(UpstreamProblem("x", 409, "unknown_code", "Its own words."), str) == "Its own words."


async def test_R35_the_overview_shows_a_scheduled_decrease_and_links_to_each_licence_s_pages(portal):
    fakes = portal.fakes
    fakes.subscriptions["s-1"] = subscription("s-1", ADA, licence_type="floating")
    fakes.subscriptions["s-2"] = subscription("s-2", ADA, licence_type="node_locked")
    fakes.subscriptions["s-3"] = subscription("s-3", ADA, status="trialing")

    @fakes.route("seats", "GET", r"/subscriptions/([^/]+)/seats")
    def pool(request, caller, match):
        if match.group(1) == "s-2":
            return httpx.Response(503, json={"code": "unavailable", "message": "down"})
        scheduled = 1000 if match.group(1) == "s-1" else None
        return httpx.Response(200, json={"status": "unlocked", "quantity": 1200, "scheduled_quantity": scheduled})

    await portal.sign_in()
    page = await portal.get("/subscriptions")

    assert page.status_code == 200
    assert "Decreases to 1,000 seats on" in page.text  # R35: seats' scheduled decrease
    assert page.text.count("Decreases to") == 1  # s-2's seats failing leaves its row without one
    assert 'href="/subscriptions/s-1/floating"' in page.text and "Floating seats in use" in page.text
    assert 'href="/subscriptions/s-2/devices"' in page.text
    assert 'href="/subscriptions/s-3/conversion"' in page.text and "Buy after the trial" in page.text
