"""The five service Dockerfiles and .dockerignore, parsed as Docker parses them, without Docker."""
from __future__ import annotations

import json
import re

import pytest

from servicekit.settings import ServiceSettings
from tests.infra.layout import REPO, SERVICES, dockerfile, env_names, in_build_context, instructions

PINNED_PYTHON = re.compile(r"^python:3\.11\.\d+-slim(-\w+)?(@sha256:[0-9a-f]{64})?$")


@pytest.mark.parametrize("service", SERVICES)
def test_the_image_runs_the_service_as_a_user_that_is_not_root(service):
    parsed = dockerfile(service)
    user = instructions(parsed, "USER")[-1].split(":")[0]
    assert user not in ("root", "0") and user.isdigit()  # numeric: Kubernetes' runAsNonRoot can verify it
    assert json.loads(instructions(parsed, "CMD")[-1]) == ["python", "-m", service]


@pytest.mark.parametrize("service", SERVICES)
def test_the_health_check_asks_the_service_for_health_with_python_alone(service):
    check = instructions(dockerfile(service), "HEALTHCHECK")[-1]
    command = json.loads(check[check.index("CMD") + len("CMD"):])
    assert command[:2] == ["python", "-c"] and "/health" in command[2] and "urllib.request" in command[2]
    assert f"{service.upper()}_HTTP_PORT" in command[2]  # the port the service really listens on


@pytest.mark.parametrize("service", SERVICES)
def test_the_base_image_is_a_pinned_slim_python_and_the_image_is_multi_stage(service):
    parsed = dockerfile(service)
    assert parsed.is_multistage and len(parsed.parent_images) == 2
    assert all(PINNED_PYTHON.match(image) for image in parsed.parent_images), parsed.parent_images


@pytest.mark.parametrize("service", SERVICES)
def test_it_exposes_its_port_and_stops_on_sigterm(service):
    parsed = dockerfile(service)
    assert instructions(parsed, "EXPOSE") == [parsed.envs["HTTP_PORT"]]
    assert instructions(parsed, "STOPSIGNAL") == ["SIGTERM"]


@pytest.mark.parametrize("service", SERVICES)
def test_every_copied_source_exists_and_is_in_the_build_context(service):
    copies = [value.split() for value in instructions(dockerfile(service), "COPY")]
    sources = [source for args in copies if not args[0].startswith("--from") for source in args[:-1]]
    assert sources, "nothing copied"
    for source in sources:
        assert (REPO / source).exists(), source
        assert in_build_context(source) and in_build_context(f"{source}/pyproject.toml"), source
    assert f"services/{service}" in sources


@pytest.mark.parametrize("service", SERVICES)
def test_the_runtime_environment_names_only_settings_of_the_service(service):
    names = {n for n in dockerfile(service).envs if not n.startswith("PYTHON")}
    assert names and names <= env_names(ServiceSettings)


def test_the_five_dockerfiles_are_one_text_with_the_name_of_each_service():
    def generic(service: str) -> str:
        text = (REPO / "services" / service / "Dockerfile").read_text(encoding="utf-8")
        return text.replace(service, "<service>").replace(service.upper(), "<SERVICE>")
    texts = {service: generic(service) for service in SERVICES}
    assert len(set(texts.values())) == 1, "the Dockerfiles drifted apart: change them together"


def test_the_build_context_leaves_out_tests_local_state_and_version_control():
    left_out = [".git/HEAD", ".venv/bin/python", "var/identity.db", "tests/conftest.py", "bench/__main__.py",
                "contracts/tests/test_export.py", "services/seats/tests/conftest.py", "infra/.env",
                "services/seats/seats/__pycache__/app.cpython-311.pyc", "tools/asyncapi-validate/node_modules/x",
                "services/identity/entitle_identity.egg-info/PKG-INFO"]
    assert [path for path in left_out if in_build_context(path)] == []
    assert in_build_context("services/identity/identity/templates/base.html")
