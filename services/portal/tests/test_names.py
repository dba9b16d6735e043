"""What a customer reads (issue 13): products by their catalogue name and tiers by their name
in the person's language, not by the codes the services speak; the names come from
subscriptions' `GET /catalogue`, and a page still renders (with the codes) when it cannot be read."""

from __future__ import annotations

import re
from typing import Any

import httpx

from .conftest import ADA, problem, subscription
from .test_buy import catalogue


def catalogue_answering(portal, answer: httpx.Response) -> None:
    def handler(request: httpx.Request, caller: Any, match: re.Match[str]) -> httpx.Response:
        return answer

    portal.fakes.route("subscriptions", "GET", r"/catalogue")(handler)


def cells(html: str) -> list[str]:
    return [re.sub(r"<[^>]+>", "", c).strip() for c in re.findall(r"<td>(.*?)</td>", html, re.S)]


async def test_R35_the_overview_names_the_product_and_the_tier_as_the_catalogue_does(portal):
    portal.fakes.subscriptions["s-1"] = subscription("s-1", ADA, tier="premium_plus")
    catalogue_answering(portal, httpx.Response(200, json=catalogue([])))
    await portal.sign_in()

    page = await portal.get("/subscriptions")

    assert page.status_code == 200
    assert cells(page.text)[:2] == ["Designer s-1", "Premium Plus"]
    assert portal.fakes.calls("GET", "/catalogue")  # read with the rows, not kept by the portal


async def test_R35_the_tier_is_named_in_the_persons_language(portal):
    portal.fakes.subscriptions["s-1"] = subscription("s-1", ADA, tier="premium_plus")
    catalogue_answering(portal, httpx.Response(200, json=catalogue([])))
    await portal.sign_in()

    page = await portal.get("/subscriptions", headers={"Accept-Language": "fr"})

    assert 'lang="fr"' in page.text and "Designer" in page.text and "premium_plus" not in page.text


async def test_a_catalogue_that_cannot_be_read_leaves_the_codes_not_an_error_page(portal):
    portal.fakes.subscriptions["s-1"] = subscription("s-1", ADA)
    catalogue_answering(portal, problem(503, "unavailable", "Try again."))
    await portal.sign_in()

    page = await portal.get("/subscriptions")

    assert page.status_code == 200
    assert cells(page.text)[:2] == ["designer s-1", "Standard"]
