"""What the infra tests read: the compose file, the Dockerfiles, .dockerignore, the packages
an image installs, and the settings each service accepts. Nothing here needs Docker or a network."""

from __future__ import annotations

import ast
import importlib
import importlib.metadata
import importlib.resources
import json
import re
import shlex
import sys
import tomllib
from functools import cache
from pathlib import Path

from dockerfile_parse import DockerfileParser
from packaging.requirements import Requirement
from packaging.utils import canonicalize_name
from ruamel.yaml import YAML

from servicekit.settings import ServiceSettings

REPO = Path(__file__).resolve().parents[2]
INFRA = REPO / "infra"
COMPOSE_FILE = INFRA / "docker-compose.yml"
SERVICES = ("identity", "subscriptions", "seats", "notifications", "billing")
"""The services on Kafka: each signs in as its own user and owns topics."""
PORTAL = "portal"
"""The browser's pages over the services' APIs: a service image too, but no Kafka user, no topic."""
SERVICE_IMAGES = (*SERVICES, PORTAL)
"""Every image built from services/Dockerfile, one per name given as its SERVICE argument."""
INTERPOLATION = re.compile(r"\$\{(?P<name>[A-Za-z_][A-Za-z0-9_]*)(?P<rest>[^}]*)\}")

SERVICE_DOCKERFILE = REPO / "services" / "Dockerfile"  # every service, named by the SERVICE build argument
OPERATOR_DOCKERFILE = REPO / "opskit" / "Dockerfile"  # the `entitle` command
OPERATOR_IMAGE = "opskit"
# Every image of the repository: its Dockerfile and build arguments, as compose builds it.
IMAGES: dict[str, tuple[Path, dict[str, str]]] = {
    **{service: (SERVICE_DOCKERFILE, {"SERVICE": service}) for service in SERVICE_IMAGES},
    OPERATOR_IMAGE: (OPERATOR_DOCKERFILE, {}),
}
# Packages of the repository by what an image may hold: the runtime, the operator tools,
# the development kit (no image).
RUNTIME = ("entitle-contracts", "entitle-servicekit")
OPERATOR_TOOLS, DEVELOPMENT_KIT = "entitle-opskit", "entitle-devkit"
ARG_REFERENCE = re.compile(r"\$(?:\{(?P<braced>\w+)\}|(?P<bare>\w+))")


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


def build_args_of(definition: dict) -> dict[str, str]:
    return {name: str(value) for name, value in definition["build"].get("args", {}).items()}


def dockerfile(image: str) -> DockerfileParser:
    """The Dockerfile of one image, its build arguments given: `envs`, `labels` and
    `parent_images` are substituted as Docker substitutes them; `instructions` are not."""
    path, args = IMAGES[image]
    return DockerfileParser(path=str(path), build_args=args, cache_content=True)


def instructions(parsed: DockerfileParser, name: str) -> list[str]:
    return [i["value"] for i in parsed.structure if i["instruction"] == name]


def substituted(text: str, args: dict[str, str]) -> str:
    """`$NAME` and `${NAME}` of the build arguments replaced by their values, as Docker does in
    COPY and as the shell of a RUN does (a build argument is in its environment)."""
    return ARG_REFERENCE.sub(lambda m: args.get(m["braced"] or m["bare"], m[0]), text)


def copied_sources(image: str) -> list[str]:
    """The build-context paths the image's COPY instructions read (not those from a stage)."""
    copies = [substituted(value, IMAGES[image][1]).split() for value in instructions(dockerfile(image), "COPY")]
    return [source for args in copies if not args[0].startswith("--from") for source in args[:-1]]


def pip_arguments(image: str, command: str) -> list[str]:
    """The operands of `pip <command>` in the image's RUN instructions: the folders
    `pip wheel` builds, or the projects `pip install` installs (options and their values left out)."""
    takes_value = {
        "--find-links",
        "-f",
        "--wheel-dir",
        "-w",
        "--index-url",
        "-i",
        "--extra-index-url",
        "--requirement",
        "-r",
        "--constraint",
        "-c",
        "--target",
        "-t",
    }
    operands = []
    for run in instructions(dockerfile(image), "RUN"):
        words = shlex.split(substituted(run, IMAGES[image][1]))
        for start in (n + 2 for n in range(len(words) - 1) if words[n : n + 2] == ["pip", command]):
            skip = False
            for word in words[start:]:
                if word in ("&&", "||", ";", "|"):
                    break
                if skip or word.startswith("-"):
                    skip = not skip and word in takes_value
                    continue
                operands.append(word)
    return operands


def pip_options(image: str, command: str) -> list[str]:
    """Every word of the RUN instructions that call `pip <command>`."""
    runs = [substituted(run, IMAGES[image][1]) for run in instructions(dockerfile(image), "RUN")]
    return [word for run in runs if f"pip {command}" in run for word in shlex.split(run)]


@cache
def local_projects() -> dict[str, tuple[str, list[str]]]:
    """Every pip package of the repository: its name → (folder, dependencies)."""
    found = {}
    for pyproject in sorted(REPO.glob("*/pyproject.toml")) + sorted(REPO.glob("services/*/pyproject.toml")):
        project = tomllib.loads(pyproject.read_text(encoding="utf-8"))["project"]
        folder = pyproject.parent.relative_to(REPO).as_posix()
        found[canonicalize_name(project["name"])] = (folder, project.get("dependencies", []))
    return found


def installed_with(project: str) -> set[str]:
    """Every distribution `pip install <project>` puts in an image: the repository's packages
    from their pyproject.toml, the others from their metadata as installed in this virtualenv
    (the same pinned versions), with the extras asked for and the markers of this Python."""
    wanted: dict[str, set[str]] = {}
    pending = [(canonicalize_name(project), frozenset())]
    while pending:
        name, extras = pending.pop()
        if name in wanted and extras <= wanted[name]:
            continue
        wanted[name] = wanted.get(name, set()) | extras
        if name in local_projects():
            requirements = local_projects()[name][1]
        else:
            requirements = importlib.metadata.requires(name) or []
        for requirement in map(Requirement, requirements):
            contexts = [{"extra": extra} for extra in wanted[name] or {""}]
            if requirement.marker is None or any(requirement.marker.evaluate(c) for c in contexts):
                pending.append((canonicalize_name(requirement.name), frozenset(requirement.extras)))
    return set(wanted)


def settings_class(service: str) -> type[ServiceSettings]:
    module = importlib.import_module(f"{service}.settings")
    return next(
        v
        for v in vars(module).values()
        if isinstance(v, type) and issubclass(v, ServiceSettings) and v is not ServiceSettings
    )


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


def imported_but_not_installed(project: str) -> dict[str, list[str]]:
    """Modules the code of an image imports (its packages, tests left out) that none of the
    distributions `pip install <project>` puts in it provides: module → the files importing it."""
    installed = installed_with(project)
    folders = [local_projects()[name][0] for name in installed if name in local_projects()]
    own = {Path(folder).name for folder in folders}  # each project's one import package, named as its folder
    providers = importlib.metadata.packages_distributions()
    missing: dict[str, list[str]] = {}
    for folder in folders:
        for source in sorted((REPO / folder / Path(folder).name).rglob("*.py")):
            if "tests" in source.relative_to(REPO / folder).parts:
                continue
            for node in ast.walk(ast.parse(source.read_text(encoding="utf-8"))):
                if isinstance(node, ast.Import):
                    modules = [alias.name for alias in node.names]
                elif isinstance(node, ast.ImportFrom) and node.level == 0 and node.module:
                    modules = [node.module]
                else:
                    continue
                for top in (module.split(".")[0] for module in modules):
                    if top in sys.stdlib_module_names or top in own:
                        continue
                    if not {canonicalize_name(d) for d in providers.get(top, [])} & installed:
                        missing.setdefault(top, []).append(source.relative_to(REPO).as_posix())
    return missing
