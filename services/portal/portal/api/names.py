"""What a customer calls things: a product by its catalogue name ("Designer", not `designer`)
and a tier by its name in the person's language ("Premium Plus", not `premium_plus`).

Upstream call: subscriptions `GET /catalogue` (product names are the catalogue's; the portal
keeps none). When the catalogue cannot be read (subscriptions down, say), a page still renders
with the codes rather than failing for a label."""

from __future__ import annotations

import time
from dataclasses import dataclass, field
from typing import Any

from fastapi.responses import HTMLResponse

from portal.adapters.rendering import N_
from portal.adapters.upstream import UpstreamProblem
from portal.api.deps import Browser

# msgids: the templates translate them (`_(names.tier(code))`)
TIER_NAMES = {
    "standard": N_("Standard"),
    "premium": N_("Premium"),
    "premium_plus": N_("Premium Plus"),
    "enterprise": N_("Enterprise"),
}


@dataclass(frozen=True)
class Names:
    products: dict[str, str] = field(default_factory=dict)

    def product(self, code: str | None) -> str:
        return self.products.get(code or "", code or "")

    def tier(self, code: str | None) -> str:
        return TIER_NAMES.get(code or "", code or "")


# Product names are the same for every person and change only when an operator edits the
# catalogue: one read serves this process for a few minutes instead of one more round per page.
NAMES_KEPT_SECONDS = 300.0


async def catalogue_names(browser: Browser) -> Names:
    kept: tuple[float, Names] | None = getattr(browser.request.app.state, "catalogue_names", None)
    if kept is not None and time.monotonic() - kept[0] < NAMES_KEPT_SECONDS:
        return kept[1]
    try:
        answer = await browser.upstream.subscriptions.get("/catalogue", browser.token)
    except UpstreamProblem as problem:
        if problem.unauthenticated:
            raise
        return Names()  # not kept: the next page asks again
    names = Names({p["code"]: p["name"] for p in answer.body.get("products", []) if p.get("code") and p.get("name")})
    browser.request.app.state.catalogue_names = (time.monotonic(), names)
    return names


async def render_named(browser: Browser, template: str, status_code: int = 200, **context: Any) -> HTMLResponse:
    """`browser.render` with `names` in the template's context."""
    if "names" not in context:
        context["names"] = await catalogue_names(browser)
    return await browser.render(template, status_code=status_code, **context)
