"""Compatibility gate: an event's schema may only change in ways its consumers survive,
unless the event's `version` changes. The baseline is docs/contracts/schemas/ as committed."""

from __future__ import annotations

import json
import re
import subprocess
from datetime import datetime
from pathlib import Path

from pydantic import BaseModel, Field, create_model

from contracts import export, registry

REPO = Path(__file__).resolve().parents[2]
SCHEMAS = "docs/contracts/schemas"
FILE_NAME = re.compile(r"^(?P<type>.+)\.v(?P<version>\d+)\.json$")


def _git(*args: str) -> str | None:
    try:
        done = subprocess.run(["git", *args], cwd=REPO, capture_output=True, text=True, timeout=60)
    except (OSError, subprocess.TimeoutExpired):
        return None
    return done.stdout if done.returncode == 0 else None


def committed_baseline() -> dict[str, str]:
    """Schema files at git HEAD; the files on disk when there is no git history to read."""
    listing = _git("ls-tree", "--name-only", "HEAD", f"{SCHEMAS}/")
    names = [Path(line).name for line in (listing or "").splitlines() if line.endswith(".json")]
    if names:
        return {name: _git("show", f"HEAD:{SCHEMAS}/{name}") or "{}" for name in names}
    return {p.name: p.read_text(encoding="utf-8") for p in (REPO / SCHEMAS).glob("*.json")}


def _gate_problems(name: str, baseline: dict) -> list[str]:
    match = FILE_NAME.match(name)
    model = registry.model_for(match["type"]) if match else None
    if model is None:
        return [f"{name}: event type no longer exists; consumers still expect it"]
    if model.version != int(match["version"]):
        return []  # a new version is a new contract; breaking it is allowed
    return [f"{name}: {p}" for p in export.breaking_changes(baseline, export.event_schema(model))]


def test_no_breaking_change_to_a_committed_event_schema_without_a_new_version():
    problems = [
        p for name, text in sorted(committed_baseline().items()) for p in _gate_problems(name, json.loads(text))
    ]
    assert not problems, (
        "breaking change to a published event; keep the field (optional), or raise "
        "the event's `version` and run make contracts-docs:\n" + "\n".join(problems)
    )


def _baseline_with_extra_field(model) -> dict:
    baseline = export.event_schema(model)
    baseline["properties"]["legacy_code"] = {"type": "string"}
    return baseline


def test_gate_refuses_a_removed_field_at_the_same_version():
    model = registry.model_for("subscription.activated")
    name = export.schema_file_name(model)
    assert _gate_problems(name, _baseline_with_extra_field(model)) == [f"{name}: legacy_code: field removed"]


def test_gate_allows_a_breaking_change_under_a_new_version():
    model = registry.model_for("subscription.activated")
    old_name = f"{model.type}.v{model.version - 1 or 99}.json"
    assert _gate_problems(old_name, _baseline_with_extra_field(model)) == []


def test_gate_refuses_a_vanished_event_type():
    assert _gate_problems("subscription.teleported.v1.json", {}) == [
        "subscription.teleported.v1.json: event type no longer exists; consumers still expect it"
    ]


# --- breaking_changes itself ---------------------------------------------------------------


class Money(BaseModel):
    amount_minor: int
    currency: str


class Before(BaseModel):
    subscription_id: str
    quantity: int
    price: Money
    po_number: str | None = None
    tags: list[str] = Field(default_factory=list)


def _breaks(**fields) -> list[str]:
    after = create_model("After", __base__=Before, **fields)
    return export.breaking_changes(Before.model_json_schema(), after.model_json_schema())


def _without(field: str) -> list[str]:
    before = Before.model_json_schema()
    after = json.loads(json.dumps(before))
    del after["properties"][field]
    after["required"] = [r for r in after.get("required", []) if r != field]
    return export.breaking_changes(before, after)


def test_identical_schema_is_compatible():
    assert export.breaking_changes(Before.model_json_schema(), Before.model_json_schema()) == []


def test_removed_field_is_breaking():
    assert _without("quantity") == ["quantity: field removed"]


def test_removed_optional_field_is_breaking():
    assert _without("po_number") == ["po_number: field removed"]


def test_new_optional_field_is_compatible():
    assert _breaks(project_id=(str | None, None)) == []


def test_new_required_field_is_breaking():
    assert _breaks(project_id=(str, ...)) == ["project_id: field became required"]


def test_optional_field_becoming_required_is_breaking():
    assert _breaks(po_number=(str, ...)) == ["po_number: field became required"]


def test_retyped_field_is_breaking():
    assert _breaks(quantity=(str, ...)) == ["quantity: type changed from ['integer'] to ['string']"]


def test_field_becoming_nullable_is_breaking():
    assert _breaks(quantity=(int | None, ...)) == ["quantity: type changed from ['integer'] to ['integer', 'null']"]


def test_nullable_field_becoming_never_null_is_compatible():
    assert _breaks(po_number=(str, "")) == []


def test_retyped_list_items_are_breaking():
    assert _breaks(tags=(list[int], [])) == ["tags[]: type changed from ['string'] to ['integer']"]


def test_removed_field_of_a_nested_model_is_breaking():
    class Price(BaseModel):
        amount_minor: int

    assert _breaks(price=(Price, ...)) == ["price.currency: field removed"]


def test_string_format_change_is_breaking():
    assert _breaks(subscription_id=(datetime, ...)) == [
        "subscription_id: type changed from ['string'] to ['string:date-time']"
    ]
