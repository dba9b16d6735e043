"""Write the event catalogue as documents downstream consumers can read without Python.

`python -m contracts.export [--out DIR]` writes, under docs/contracts/ by default:
  schemas/<type>.v<version>.json  JSON Schema of each event's `data`
  envelope.json                   JSON Schema of the CloudEvents envelope
  asyncapi.json                   AsyncAPI 3.0.0 document of every public topic
Output is deterministic (sorted keys) so the documents are committed and diffed in review.
`breaking_changes` compares two versions of one event schema for the compatibility gate.
"""

from __future__ import annotations

import argparse
import copy
import json
from pathlib import Path
from typing import Any

from contracts import registry, topics
from contracts.envelope import Envelope, Event

DEFAULT_OUT = Path(__file__).resolve().parents[2] / "docs" / "contracts"
KAFKA_BINDING_VERSION = "0.5.0"
Schema = dict[str, Any]


# --- JSON Schemas -------------------------------------------------------------------------


def schema_file_name(model: type[Event]) -> str:
    return f"{model.type}.v{model.version}.json"


def event_schema(model: type[Event]) -> Schema:
    """The JSON Schema of one event's `data`, tagged with the id the envelope's `dataschema` names."""
    schema = model.model_json_schema()
    schema["$id"] = f"entitle:{model.type}:v{model.version}"
    schema["title"] = model.type
    return schema


def envelope_schema() -> Schema:
    return Envelope.model_json_schema()


def render(document: Any) -> str:
    return json.dumps(document, indent=2, sort_keys=True, ensure_ascii=False) + "\n"


# --- AsyncAPI -----------------------------------------------------------------------------


def _rewrite_refs(node: Any) -> Any:
    """Point pydantic's local `#/$defs/X` references at the AsyncAPI components."""
    if isinstance(node, dict):
        return {
            k: (v.replace("#/$defs/", "#/components/schemas/") if k == "$ref" else _rewrite_refs(v))
            for k, v in node.items()
        }
    if isinstance(node, list):
        return [_rewrite_refs(v) for v in node]
    return node


def _hoist(schema: Schema, shared: dict[str, Schema]) -> Schema:
    """Move a schema's `$defs` into `shared` (refusing two different models of one name)."""
    schema = copy.deepcopy(schema)
    for name, definition in schema.pop("$defs", {}).items():
        definition = _rewrite_refs(definition)
        if shared.setdefault(name, definition) != definition:
            raise ValueError(f"two different schemas are both called {name!r}; rename one model")
    return _rewrite_refs(schema)


def _channel_id(topic: topics.Topic) -> str:
    return topic.name.replace(".", "_")


def _payload(model: type[Event]) -> Schema:
    """The whole envelope of this message: the common attributes with `type` and `data` pinned."""
    payload = _rewrite_refs(envelope_schema())
    payload["title"] = f"{model.type} envelope"
    payload["properties"]["type"] = {
        "const": model.type,
        "type": "string",
        "description": "CloudEvents type of this message.",
    }
    payload["properties"]["dataschema"] = {
        "const": f"entitle:{model.type}:v{model.version}",
        "type": "string",
        "description": "Schema id of `data`.",
    }
    payload["properties"]["data"] = {"$ref": f"#/components/schemas/{model.type}"}
    return payload


def _message(model: type[Event], topic: topics.Topic) -> Schema:
    return {
        "name": model.type,
        "title": model.type,
        "summary": (model.__doc__ or model.type).strip().splitlines()[0],
        "contentType": "application/cloudevents+json",
        "payload": _payload(model),
        "bindings": {
            "kafka": {
                "bindingVersion": KAFKA_BINDING_VERSION,
                "key": {
                    "type": "string",
                    "description": f"The envelope's `subject`: the `{topic.key}` of the event, so all events "
                    f"of one aggregate land on one partition, in order.",
                },
            }
        },
    }


def _channel(topic: topics.Topic) -> Schema:
    return {
        "address": topic.name,
        "title": topic.name,
        "description": f"Published by the {topic.owner} service; Kafka key = `{topic.key}`.",
        "messages": {m.type: {"$ref": f"#/components/messages/{m.type}"} for m in registry.events_on(topic)},
        "bindings": {
            "kafka": {"bindingVersion": KAFKA_BINDING_VERSION, "topic": topic.name, "partitions": topic.partitions}
        },
    }


def _operation(topic: topics.Topic) -> Schema:
    channel = _channel_id(topic)
    return {
        "action": "send",
        "title": f"{topic.owner} publishes {topic.name}",
        "channel": {"$ref": f"#/channels/{channel}"},
        "messages": [{"$ref": f"#/channels/{channel}/messages/{m.type}"} for m in registry.events_on(topic)],
    }


def asyncapi_document() -> Schema:
    public = [t for t in topics.ALL_TOPICS if t.public]
    models = {m.type: (m, t) for t in public for m in registry.events_on(t)}
    shared: dict[str, Schema] = {}
    data_schemas = {name: _hoist(m.model_json_schema(), shared) for name, (m, _) in models.items()}
    return {
        "asyncapi": "3.0.0",
        "info": {
            "title": "Entitle public events",
            "version": "1.0.0",
            "description": (
                "Every public topic of Entitle. Messages are CloudEvents 1.0 in structured JSON mode; "
                "`data` follows the schema named by `dataschema`. Consumers must ignore unknown fields."
            ),
        },
        "defaultContentType": "application/cloudevents+json",
        "channels": {_channel_id(t): _channel(t) for t in public},
        "operations": {f"publish_{_channel_id(t)}": _operation(t) for t in public},
        "components": {
            "schemas": {**shared, **data_schemas},
            "messages": {name: _message(m, t) for name, (m, t) in models.items()},
        },
    }


# --- Writing ------------------------------------------------------------------------------


def documents() -> dict[str, str]:
    """Every generated document by its path relative to the output directory."""
    docs = {f"schemas/{schema_file_name(m)}": render(event_schema(m)) for m in registry.EVENT_TYPES.values()}
    docs["envelope.json"] = render(envelope_schema())
    docs["asyncapi.json"] = render(asyncapi_document())
    return docs


def write(out: Path) -> list[Path]:
    """Write every document; remove schema files no event produces any more."""
    docs = documents()
    for stale in (out / "schemas").glob("*.json"):
        if f"schemas/{stale.name}" not in docs:
            stale.unlink()
    for relative, text in docs.items():
        (out / relative).parent.mkdir(parents=True, exist_ok=True)
        (out / relative).write_text(text, encoding="utf-8")
    return [out / r for r in sorted(docs)]


# --- Compatibility ------------------------------------------------------------------------


def _resolve(schema: Schema, root: Schema) -> Schema:
    while "$ref" in schema:
        schema = root.get("$defs", {})[schema["$ref"].rsplit("/", 1)[-1]]
    return schema


def _branches(schema: Schema, root: Schema) -> list[Schema]:
    schema = _resolve(schema, root)
    alternatives = schema.get("anyOf") or schema.get("oneOf")
    if not alternatives:
        return [schema]
    return [b for alt in alternatives for b in _branches(alt, root)]


def _types(schema: Schema, root: Schema) -> set[str]:
    """What a reader may meet: JSON types, with string formats and enums told apart."""
    kinds: set[str] = set()
    for branch in _branches(schema, root):
        kind = branch.get("type", "object" if "properties" in branch else "any")
        fmt = branch.get("format")
        kinds.add(f"{kind}:{fmt}" if fmt else str(kind))
    return kinds


def _first(schema: Schema, root: Schema, key: str) -> Schema | None:
    return next((b for b in _branches(schema, root) if key in b), None)


def breaking_changes(old: Schema, new: Schema) -> list[str]:
    """Changes of `new` against `old` that could break a consumer written for `old`."""
    return _compare(old, old, new, new, "")


def _compare(old: Schema, old_root: Schema, new: Schema, new_root: Schema, path: str) -> list[str]:
    added = _types(new, new_root) - _types(old, old_root)
    if added and "any" not in _types(old, old_root):
        return [
            f"{path or '<root>'}: type changed from {sorted(_types(old, old_root))} to {sorted(_types(new, new_root))}"
        ]
    problems: list[str] = []
    old_obj, new_obj = _first(old, old_root, "properties"), _first(new, new_root, "properties")
    if old_obj and new_obj:
        problems += _compare_objects(old_obj, old_root, new_obj, new_root, path)
    old_arr, new_arr = _first(old, old_root, "items"), _first(new, new_root, "items")
    if old_arr and new_arr:
        problems += _compare(old_arr["items"], old_root, new_arr["items"], new_root, f"{path}[]")
    return problems


def _compare_objects(old: Schema, old_root: Schema, new: Schema, new_root: Schema, path: str) -> list[str]:
    prefix = f"{path}." if path else ""
    old_props, new_props = old["properties"], new["properties"]
    problems = [f"{prefix}{name}: field removed" for name in sorted(old_props) if name not in new_props]
    newly_required = set(new.get("required", ())) - set(old.get("required", ()))
    problems += [f"{prefix}{name}: field became required" for name in sorted(newly_required)]
    for name in sorted(set(old_props) & set(new_props)):
        problems += _compare(old_props[name], old_root, new_props[name], new_root, f"{prefix}{name}")
    return problems


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--out", type=Path, default=DEFAULT_OUT, help="output directory")
    args = parser.parse_args(argv)
    for path in write(args.out):
        print(path)


if __name__ == "__main__":
    main()
