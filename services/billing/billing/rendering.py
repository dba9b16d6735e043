"""The HTML invoice, rendered from a jinja2 template packaged with the service (autoescaped)."""
from __future__ import annotations

from jinja2 import Environment, PackageLoader, StrictUndefined

from billing.charges import format_money
from billing.invoicing import Invoice

_env = Environment(loader=PackageLoader("billing", "templates"), undefined=StrictUndefined,
                   autoescape=True, trim_blocks=True, lstrip_blocks=True)
_env.filters["money"] = format_money


def render_invoice(invoice: Invoice) -> str:
    return _env.get_template("invoice.html.j2").render(invoice=invoice)
