"""The committed contract documents are what the code generates, and the AsyncAPI one is valid."""

from __future__ import annotations

import json
import shutil
import subprocess
from pathlib import Path

import pytest

from contracts import export, registry, topics

REPO = Path(__file__).resolve().parents[2]
DOCS = REPO / "docs" / "contracts"
VALIDATOR = REPO / "tools" / "asyncapi-validate"


def test_committed_documents_are_what_the_code_generates():
    expected = export.documents()
    on_disk = {str(p.relative_to(DOCS)): p.read_text(encoding="utf-8") for p in DOCS.rglob("*.json")}
    stale = sorted(k for k in expected.keys() | on_disk.keys() if expected.get(k) != on_disk.get(k))
    assert not stale, f"docs/contracts is out of date ({', '.join(stale)}): run make contracts-docs"


def test_every_event_type_has_a_schema_named_by_its_dataschema():
    documents = export.documents()
    for model in registry.EVENT_TYPES.values():
        schema = json.loads(documents[f"schemas/{export.schema_file_name(model)}"])
        assert schema["$id"] == f"entitle:{model.type}:v{model.version}"


def test_asyncapi_has_one_channel_per_public_topic_with_its_events_and_key():
    document = export.asyncapi_document()
    public = [t for t in topics.ALL_TOPICS if t.public]
    assert sorted(c["address"] for c in document["channels"].values()) == sorted(t.name for t in public)
    for topic in public:
        channel = document["channels"][topic.name.replace(".", "_")]
        assert sorted(channel["messages"]) == sorted(m.type for m in registry.events_on(topic))
        for name in channel["messages"]:
            key = document["components"]["messages"][name]["bindings"]["kafka"]["key"]
            assert topic.key in key["description"]


def test_asyncapi_leaves_private_topics_out():
    addresses = {c["address"] for c in export.asyncapi_document()["channels"].values()}
    assert not addresses & {t.name for t in topics.ALL_TOPICS if not t.public}


@pytest.fixture(scope="module")
def asyncapi_validator() -> Path:
    """The reference AsyncAPI parser (npm @asyncapi/parser), installed from the committed lock file."""
    if not shutil.which("node") or not shutil.which("npm"):
        pytest.skip("node and npm are needed to run the reference AsyncAPI parser")
    if not (VALIDATOR / "node_modules" / "@asyncapi" / "parser").is_dir():
        done = subprocess.run(
            ["npm", "ci", "--ignore-scripts", "--no-audit", "--no-fund"],
            cwd=VALIDATOR,
            capture_output=True,
            text=True,
            timeout=300,
        )
        if done.returncode != 0:
            pytest.skip(f"npm ci failed in tools/asyncapi-validate (offline?): {done.stderr[-500:]}")
    return VALIDATOR / "validate.mjs"


def test_asyncapi_document_passes_the_reference_parser(asyncapi_validator, tmp_path):
    document = tmp_path / "asyncapi.json"
    document.write_text(export.documents()["asyncapi.json"], encoding="utf-8")
    done = subprocess.run(["node", str(asyncapi_validator), str(document)], capture_output=True, text=True, timeout=120)
    assert done.returncode == 0, done.stdout + done.stderr
