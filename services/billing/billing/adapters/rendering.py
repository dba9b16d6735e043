"""The HTML invoice, rendered from a jinja2 template beside this module (autoescaped)."""

from __future__ import annotations

from jinja2 import Environment, PackageLoader, StrictUndefined

from billing.domain.invoices import Invoice
from billing.domain.lines import format_money

_env = Environment(
    loader=PackageLoader("billing.adapters", "templates"),
    undefined=StrictUndefined,
    autoescape=True,
    trim_blocks=True,
    lstrip_blocks=True,
)
_env.filters["money"] = format_money


def render_invoice(invoice: Invoice) -> str:
    return _env.get_template("invoice.html.j2").render(invoice=invoice)
