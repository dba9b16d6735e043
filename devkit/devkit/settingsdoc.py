"""The configuration reference in docs/operations.md, written from the settings classes.

`python -m devkit.settingsdoc` rewrites the part of docs/operations.md between the two
markers below; a test fails when the committed reference and the code disagree, so every
environment variable a service reads is documented with its default and meaning.
"""

from __future__ import annotations

import importlib
from pathlib import Path

from pydantic import SecretStr
from pydantic.fields import FieldInfo
from pydantic_settings import BaseSettings

from servicekit.settings import ServiceSettings

OPERATIONS_DOC = Path(__file__).resolve().parents[2] / "docs" / "operations.md"
BEGIN, END = "<!-- settings:begin -->", "<!-- settings:end -->"
SERVICE_SETTINGS = {
    "identity": "identity.settings:IdentitySettings",
    "subscriptions": "subscriptions.settings:SubscriptionsSettings",
    "seats": "seats.settings:SeatsSettings",
    "notifications": "notifications.settings:NotificationsSettings",
    "billing": "billing.settings:BillingSettings",
    "portal": "portal.settings:PortalSettings",
}


def settings_class(service: str) -> type[BaseSettings]:
    module, name = SERVICE_SETTINGS[service].split(":")
    return getattr(importlib.import_module(module), name)


def shown_default(field: FieldInfo) -> str:
    default = field.get_default(call_default_factory=True)
    if isinstance(default, SecretStr):
        default = default.get_secret_value()
    return f"`{default}`" if default not in ("", None) else "(empty)"


def one_line(text: str | None) -> str:
    return " ".join((text or "").split()).replace("|", "\\|")


def table(rows: list[tuple[str, str, str]]) -> list[str]:
    return ["| Variable | Default | Meaning |", "|---|---|---|"] + [f"| {r[0]} | {r[1]} | {r[2]} |" for r in rows]


def shared_section() -> list[str]:
    rows = [
        (f"`{name.upper()}`", shown_default(field), one_line(field.description))
        for name, field in ServiceSettings.model_fields.items()
        if name != "service_name"
    ]
    return [
        "### Every service",
        "",
        "Each variable can also be given for one service only, prefixed with its name "
        "(`SEATS_DATABASE_URL` wins over `DATABASE_URL` for seats).",
        "",
    ] + table(rows)


def service_section(service: str) -> list[str]:
    cls, prefix = settings_class(service), f"{service.upper()}_"
    rows = []
    for name, field in cls.model_fields.items():
        shared = ServiceSettings.model_fields.get(name)
        if name == "service_name" or (shared is not None and shown_default(shared) == shown_default(field)):
            continue
        meaning = one_line(field.description or (shared.description if shared else ""))
        if shared is not None:
            meaning = f"{meaning} (this service's default)".strip()
        rows.append((f"`{prefix}{name.upper()}`", shown_default(field), meaning))
    return [f"### {service}", ""] + table(rows)


def reference() -> str:
    lines = shared_section()
    for service in SERVICE_SETTINGS:
        lines += [""] + service_section(service)
    return "\n".join(lines)


def with_reference(document: str) -> str:
    head, rest = document.split(BEGIN, 1)
    _, tail = rest.split(END, 1)
    return f"{head}{BEGIN}\n{reference()}\n{END}{tail}"


def main() -> None:
    OPERATIONS_DOC.write_text(with_reference(OPERATIONS_DOC.read_text()))
    print(f"wrote the configuration reference into {OPERATIONS_DOC}")


if __name__ == "__main__":
    main()
