"""What the infra tests read: the compose file, the Dockerfiles, .dockerignore, and the
settings each service accepts. Nothing here needs Docker or a network."""
from __future__ import annotations

import importlib
import importlib.resources
import json
import re
from functools import cache
from pathlib import Path

from dockerfile_parse import DockerfileParser
from ruamel.yaml import YAML

from servicekit.settings import ServiceSettings

REPO = Path(__file__).resolve().parents[2]
INFRA = REPO / "infra"
COMPOSE_FILE = INFRA / "docker-compose.yml"
SERVICES = ("identity", "subscriptions", "seats", "notifications", "billing")
INTERPOLATION = re.compile(r"\$\{(?P<name>[A-Za-z_][A-Za-z0-9_]*)(?P<rest>[^}]*)\}")


@cache
def compose() -> dict:
    return YAML(typ="safe").load(COMPOSE_FILE.read_text(encoding="utf-8"))


def compose_schema() -> dict:
    """The Compose Specification's JSON schema (compose-spec/compose-spec, Apache-2.0), as
    check-jsonschema vendors and updates it, with the licence beside it in that package."""
    vendor = importlib.resources.files("check_jsonschema.builtin_schemas.vendor")
    return json.loads((vendor / "compose-spec.json").read_text(encoding="utf-8"))


def ours(definition: dict) -> bool:
    """A compose service built from this repository (not Kafka, PostgreSQL or Mailpit)."""
    return "build" in definition


def dockerfile_of(definition: dict) -> Path:
    build = definition["build"]
    return (COMPOSE_FILE.parent / build["context"] / build["dockerfile"]).resolve()


def dockerfile(service: str) -> DockerfileParser:
    return DockerfileParser(path=str(REPO / "services" / service / "Dockerfile"), cache_content=True)


def instructions(parsed: DockerfileParser, name: str) -> list[str]:
    return [i["value"] for i in parsed.structure if i["instruction"] == name]


def settings_class(service: str) -> type[ServiceSettings]:
    module = importlib.import_module(f"{service}.settings")
    return next(v for v in vars(module).values()
                if isinstance(v, type) and issubclass(v, ServiceSettings) and v is not ServiceSettings)


def env_names(settings: type[ServiceSettings]) -> set[str]:
    """Every variable the settings read: `<PREFIX>_<FIELD>` and the shared `<FIELD>`."""
    prefix = settings.model_config.get("env_prefix", "")
    return {n.upper() for field in settings.model_fields for n in (field, prefix + field)}


def dockerignore_rules() -> list[tuple[bool, re.Pattern]]:
    """(excludes?, pattern) per line of .dockerignore, in order; the last match wins."""
    rules = []
    for line in (REPO / ".dockerignore").read_text(encoding="utf-8").splitlines():
        line = line.strip()
        if line and not line.startswith("#"):
            negated, pattern = line.startswith("!"), line.lstrip("!").strip("/")
            regex = re.escape(pattern).replace(r"\*\*/", "(?:.*/)?").replace(r"\*\*", ".*")
            regex = regex.replace(r"\*", "[^/]*").replace(r"\?", "[^/]").replace(r"\[", "[").replace(r"\]", "]")
            rules.append((not negated, re.compile(regex + "$")))
    return rules


def in_build_context(relative: str) -> bool:
    """Whether Docker sends this path: a pattern that matches it or one of its parent folders applies."""
    parts = relative.strip("/").split("/")
    candidates = ["/".join(parts[:n]) for n in range(1, len(parts) + 1)]
    sent = True
    for excludes, pattern in dockerignore_rules():
        if any(pattern.match(c) for c in candidates):
            sent = not excludes
    return sent


def interpolated_variables(text: str) -> dict[str, str]:
    """`${NAME...}` of a compose file: name → what follows it (`:-default`, `:?error`, or '')."""
    return {m["name"]: m["rest"] for m in INTERPOLATION.finditer(text)}
