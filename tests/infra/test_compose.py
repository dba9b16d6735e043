"""infra/docker-compose.yml, read as Docker Compose would read it, without Docker."""

from __future__ import annotations

import re

import jsonschema
from dotenv import dotenv_values

from devkit.devstack import PORTAL_PORT
from opskit.endpoints import DEFAULT_PORTS
from portal.settings import PortalSettings
from servicekit.settings import ServiceSettings
from tests.infra.layout import (
    COMPOSE_FILE,
    IMAGES,
    INFRA,
    OPERATOR_DOCKERFILE,
    OPERATOR_IMAGE,
    PORTAL,
    REPO,
    SERVICE_DOCKERFILE,
    SERVICE_IMAGES,
    SERVICES,
    build_args_of,
    compose,
    compose_schema,
    dockerfile_of,
    env_names,
    interpolated_variables,
    ours,
    settings_class,
)

PINNED_TAG = re.compile(r"^[\w./-]+:v?\d+\.\d+(\.\d+)?[\w.-]*(@sha256:[0-9a-f]{64})?$")
SECRETS = (
    "TOKEN_SECRET",
    "OPERATOR_TOKEN",
    "POSTGRES_PASSWORD",
    "KAFKA_ADMIN_PASSWORD",
    "KAFKA_OPERATOR_PASSWORD",
    "KAFKA_TLS_KEYSTORE_PASSWORD",
    *(f"KAFKA_{service.upper()}_PASSWORD" for service in SERVICES),
)


def services() -> dict[str, dict]:
    return compose()["services"]


def settings_of(name: str, definition: dict) -> type[ServiceSettings]:
    """A service runs its own package (its build argument); the topics job runs the `entitle`
    command of the operator image, which reaches Kafka with the shared settings' variables."""
    if dockerfile_of(definition) == OPERATOR_DOCKERFILE:
        return ServiceSettings
    return settings_class(build_args_of(definition)["SERVICE"])


def test_the_compose_file_follows_the_compose_specification():
    validator = jsonschema.validators.validator_for(compose_schema())(compose_schema())
    errors = [f"{'/'.join(map(str, e.absolute_path))}: {e.message}" for e in validator.iter_errors(compose())]
    assert not errors, errors


def test_it_runs_kafka_in_kraft_mode_postgresql_mailpit_the_topics_job_the_five_services_and_the_portal():
    assert set(services()) == {"kafka", "kafka-tls", "kafka-setup", "postgres", "mailpit", "topics", *SERVICE_IMAGES}
    kafka = services()["kafka"]["environment"]
    assert kafka["KAFKA_PROCESS_ROLES"] == "broker,controller" and "KAFKA_ZOOKEEPER_CONNECT" not in kafka
    assert kafka["KAFKA_AUTO_CREATE_TOPICS_ENABLE"] == "false"


def test_images_from_a_registry_are_pinned_to_a_version():
    pulled = {name: d["image"] for name, d in services().items() if not ours(d)}
    assert pulled and all(PINNED_TAG.match(image) and "latest" not in image for image in pulled.values()), pulled


def test_every_service_is_built_from_the_service_dockerfile_with_its_name_and_the_repository_as_context():
    for name in SERVICE_IMAGES:
        definition = services()[name]
        assert (COMPOSE_FILE.parent / definition["build"]["context"]).resolve() == REPO
        assert dockerfile_of(definition) == SERVICE_DOCKERFILE and SERVICE_DOCKERFILE.is_file()
        assert build_args_of(definition) == {"SERVICE": name}
        assert definition["image"].endswith(f"/{name}:${{ENTITLE_IMAGE_TAG:-dev}}")


def test_the_topics_job_is_built_from_the_operator_dockerfile():
    job = services()["topics"]
    assert (COMPOSE_FILE.parent / job["build"]["context"]).resolve() == REPO
    assert dockerfile_of(job) == OPERATOR_DOCKERFILE and build_args_of(job) == {}
    assert job["image"].endswith(f"/{OPERATOR_IMAGE}:${{ENTITLE_IMAGE_TAG:-dev}}")


def test_compose_builds_every_image_the_dockerfile_tests_check_and_no_other():
    built = {
        definition["image"].split("/")[-1].split(":")[0]: (dockerfile_of(definition), build_args_of(definition))
        for definition in services().values()
        if ours(definition)
    }
    assert built == IMAGES


def test_every_variable_given_to_a_service_is_one_of_its_settings():
    for name, definition in services().items():
        if ours(definition):
            unknown = set(definition.get("environment", {})) - env_names(settings_of(name, definition))
            assert not unknown, f"{name} has no setting for {sorted(unknown)}"


def test_ports_are_published_on_loopback_only():
    published = [(name, p) for name, d in services().items() for p in d.get("ports", [])]
    assert published and all(str(p).startswith("127.0.0.1:") for _, p in published), published


def test_the_services_and_the_portal_answer_on_the_ports_of_make_run():
    ports = {**DEFAULT_PORTS, PORTAL: PORTAL_PORT}
    assert {name: services()[name]["ports"] for name in SERVICE_IMAGES} == {
        name: [f"127.0.0.1:{ports[name]}:8000"] for name in SERVICE_IMAGES
    }


def test_the_services_start_after_the_topics_are_created_and_the_infrastructure_is_healthy():
    for name in SERVICES:
        depends_on = services()[name]["depends_on"]
        assert depends_on["topics"] == {"condition": "service_completed_successfully"}
        assert depends_on["kafka"]["condition"] == depends_on["postgres"]["condition"] == "service_healthy"
    assert services()["topics"]["depends_on"]["kafka"] == {"condition": "service_healthy"}


def test_the_portal_needs_postgresql_only_and_no_kafka_user_topic_or_certificate():
    portal = services()[PORTAL]
    assert portal["depends_on"] == {"postgres": {"condition": "service_healthy"}}
    assert not [variable for variable in portal["environment"] if "KAFKA" in variable]
    assert portal["volumes"] == []  # the *service volume is the Kafka CA's
    assert not [v for v in interpolated_variables(str(portal)) if v.startswith("KAFKA_")]


def test_the_portal_reaches_the_five_services_inside_the_network_and_sends_its_cookie_over_https_by_default():
    environment = services()[PORTAL]["environment"]
    assert set(PortalSettings().upstream_urls()) == set(SERVICES)
    assert {s: environment[f"PORTAL_{s.upper()}_URL"] for s in SERVICES} == {s: f"http://{s}:8000" for s in SERVICES}
    assert environment["PORTAL_COOKIE_SECURE"] == "${PORTAL_COOKIE_SECURE:-true}"


def test_every_service_s_links_and_the_portal_share_one_address():
    """Issue 13: every link in every e-mail opens a portal page; one variable says where."""
    for name in (*SERVICES, PORTAL):
        environment = services()[name]["environment"]
        assert environment["PORTAL_URL"] == "${PORTAL_URL:-http://127.0.0.1:8100}", name
        assert not [v for v in environment if v.endswith("PUBLIC_URL")], name


def test_the_services_keep_their_image_healthcheck_and_run_as_built():
    for name in SERVICE_IMAGES:
        definition = services()[name]
        assert not definition["healthcheck"].get("disable") and "test" not in definition["healthcheck"]
        assert "user" not in definition and "command" not in definition and definition["read_only"] is True


def test_secrets_come_from_the_environment_file_never_from_the_compose_file():
    text = COMPOSE_FILE.read_text(encoding="utf-8")
    for secret in SECRETS:
        assert not re.search(rf"^\s*{secret}:\s*(?!\$\{{)\S", text, re.M), f"{secret} is written in the compose file"
    assert interpolated_variables(text)["TOKEN_SECRET"].startswith(":?")  # compose refuses to start without it
    for name, definition in services().items():  # inside the containers too: every password is one of them
        for variable, value in definition.get("environment", {}).items():
            if "PASSWORD" in variable or "SECRET" in variable:
                assert all(f"${{{secret}:?" in str(value) for secret in re.findall(r"\$\{(\w+)", str(value))), (
                    name,
                    variable,
                )
                assert re.search(r"\$\{\w+:\?", str(value)), (name, variable, value)


def test_every_variable_of_the_compose_file_is_documented_in_the_example_environment_file():
    used = set(interpolated_variables(COMPOSE_FILE.read_text(encoding="utf-8")))
    documented = set(dotenv_values(INFRA / ".env.example"))
    assert used == documented, {"undocumented": used - documented, "unused": documented - used}


def test_the_example_environment_file_marks_its_secrets_as_development_values():
    example = dotenv_values(INFRA / ".env.example")
    assert all("dev-only" in example[secret] for secret in SECRETS)
