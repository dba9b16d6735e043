"""Renders an e-mail from its jinja2 template (templates/<locale>/<template>.j2, beside this
module): a subject, a plain-text part and an HTML part.

Two filters write facts the way the e-mail's language does, with Babel, as billing's invoice
page does (issue 15, item 6): `money` an amount kept as `{amount_minor, currency}` (e.g.
"730,00 €" in French) and `day` an ISO date, in full ("4 février 2026"). The facts stay plain
JSON, so a held e-mail can be written again from them.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import date
from decimal import Decimal
from typing import Any

from babel.dates import format_date
from babel.numbers import format_currency, get_currency_precision
from jinja2 import Environment, PackageLoader, StrictUndefined, pass_context
from jinja2.runtime import Context

_env = Environment(
    loader=PackageLoader("notifications.adapters", "templates"),
    undefined=StrictUndefined,
    autoescape=False,
    trim_blocks=True,
    lstrip_blocks=True,
)


@pass_context
def _money(context: Context, value: Mapping[str, Any]) -> str:
    """An amount in minor units, in the e-mail's language: "€730.00", "730,00 €", "€ 730,00"."""
    currency = str(value["currency"])
    units = Decimal(int(value["amount_minor"])).scaleb(-get_currency_precision(currency))
    return format_currency(units, currency, locale=context["locale"])


@pass_context
def _day(context: Context, value: str | date) -> str:
    """A date in full, in the e-mail's language: "February 4, 2026", "4. Februar 2026"."""
    day = value if isinstance(value, date) else date.fromisoformat(value)
    return format_date(day, format="long", locale=context["locale"])


_env.filters["money"] = _money
_env.filters["day"] = _day


@dataclass(frozen=True)
class RenderedEmail:
    subject: str
    text: str
    html: str


# Each template holds three blocks; the html block turns autoescaping on for itself only.
def render(template: str, locale: str, facts: dict[str, Any]) -> RenderedEmail:
    source = _env.get_template(f"{locale}/{template}.j2")
    layout = _env.get_template("layout.html.j2")
    context = source.new_context({**facts, "locale": locale})  # the filters' language

    def block(name: str) -> str:
        # A block the e-mail does not override comes from the layout, still rendered with the
        # e-mail's context so that the layout's `body` is the e-mail's.
        render_block = source.blocks.get(name) or layout.blocks[name]
        return "".join(render_block(context)).strip()

    return RenderedEmail(subject=block("subject"), text=block("text"), html=block("html"))
