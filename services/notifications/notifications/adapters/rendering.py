"""Renders an e-mail from its jinja2 template (templates/<locale>/<template>.j2, beside this
module): a subject, a plain-text part and an HTML part."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from jinja2 import Environment, PackageLoader, StrictUndefined

_env = Environment(
    loader=PackageLoader("notifications.adapters", "templates"),
    undefined=StrictUndefined,
    autoescape=False,
    trim_blocks=True,
    lstrip_blocks=True,
)


@dataclass(frozen=True)
class RenderedEmail:
    subject: str
    text: str
    html: str


# Each template holds three blocks; the html block turns autoescaping on for itself only.
def render(template: str, locale: str, facts: dict[str, Any]) -> RenderedEmail:
    source = _env.get_template(f"{locale}/{template}.j2")
    layout = _env.get_template("layout.html.j2")
    context = source.new_context(facts)

    def block(name: str) -> str:
        # A block the e-mail does not override comes from the layout, still rendered with the
        # e-mail's context so that the layout's `body` is the e-mail's.
        render_block = source.blocks.get(name) or layout.blocks[name]
        return "".join(render_block(context)).strip()

    return RenderedEmail(subject=block("subject"), text=block("text"), html=block("html"))
