"""The compose Kafka's door, checked without Docker: SASL over TLS on every listener a client
reaches, one user per service, and ACLs (infra/kafka/acls.txt) that let only a topic's owner
write it and each consumer group read what its code consumes, derived here from
contracts/topics.py and the services' own consumers. The setup scripts run against stand-ins
for the Kafka tools, and the certificate script with the JDK's keytool when there is one."""

from __future__ import annotations

import asyncio
import importlib
import os
import shutil
import ssl
import subprocess
from dataclasses import dataclass
from pathlib import Path

import pytest

from contracts.topics import CONSUMER_GROUPS, dead_letter_topic, every_topic
from tests.infra.layout import INFRA, SERVICES, compose

KAFKA = INFRA / "kafka"
OPERATOR = "operator"


@dataclass(frozen=True)
class Acl:
    principal: str
    operation: str
    resource: str
    pattern: str
    name: str

    def matches(self, resource: str, name: str) -> bool:
        if resource != self.resource:
            return False
        if self.pattern == "prefixed":
            return name.startswith(self.name)
        return self.name in ("*", name)


def acl_file() -> set[Acl]:
    """acls.txt read as setup-users-and-acls.sh reads it: one ACL per operation and name."""
    found = set()
    for line in (KAFKA / "acls.txt").read_text(encoding="utf-8").splitlines():
        if not line.strip() or line.lstrip().startswith("#"):
            continue
        principal, operations, resource, pattern, names = line.split()
        found |= {
            Acl(principal, op, resource, pattern, name) for op in operations.split(",") for name in names.split(",")
        }
    return found


@pytest.fixture(scope="module")
def consumers() -> dict[str, list]:
    """Each service's consumers, as its code attaches them (group, topics)."""
    return {s: importlib.import_module(f"{s}.app").build().consumers for s in SERVICES}


def expected_acls(consumers: dict[str, list]) -> set[Acl]:
    owners = {t.owner for t in every_topic()}
    expected = {Acl(f"User:{owner}", "Write", "topic", "prefixed", f"{owner}.") for owner in owners}
    for service, service_consumers in consumers.items():
        for consumer in service_consumers:
            expected |= {Acl(f"User:{service}", "Read", "topic", "literal", t) for t in consumer.topics}
            expected.add(Acl(f"User:{service}", "Read", "group", "literal", consumer.group))
    expected |= {
        Acl(f"User:{OPERATOR}", op, kind, "literal", "*") for op in ("Read", "Describe") for kind in ("topic", "group")
    }
    return expected


def writers(acls: set[Acl], topic: str) -> set[str]:
    return {a.principal for a in acls if a.operation in ("Write", "All") and a.matches("topic", topic)}


def test_the_acls_are_exactly_what_the_topic_catalogue_and_the_services_consumers_need(consumers):
    expected, found = expected_acls(consumers), acl_file()
    assert found == expected, {
        "missing from acls.txt": sorted(map(str, expected - found)),
        "not needed": sorted(map(str, found - expected)),
    }


def test_only_the_owner_writes_its_topics_and_each_group_writes_its_dead_letters(consumers):
    acls = acl_file()
    for topic in every_topic():
        assert writers(acls, topic.name) == {f"User:{topic.owner}"}, topic.name
    for service, service_consumers in consumers.items():
        for consumer in service_consumers:
            assert CONSUMER_GROUPS[consumer.group] == service
            assert writers(acls, dead_letter_topic(consumer.group)) == {f"User:{service}"}
    # An owner's prefix covers its own topics only: no other owner's topic starts with it.
    for topic in every_topic():
        assert all(not topic.name.startswith(f"{other}.") for other in SERVICES if other != topic.owner)


def test_every_group_reads_only_what_it_consumes_and_operators_write_nothing(consumers):
    acls = acl_file()
    for service, service_consumers in consumers.items():
        consumed = {t for c in service_consumers for t in c.topics}
        readable = {
            t.name
            for t in every_topic()
            if any(
                a.principal == f"User:{service}" and a.operation == "Read" and a.matches("topic", t.name) for a in acls
            )
        }
        assert readable == consumed, service
    assert not [a for a in acls if a.principal == f"User:{OPERATOR}" and a.operation not in ("Read", "Describe")]


def test_the_broker_takes_only_sasl_over_tls_from_clients_and_refuses_what_no_acl_allows():
    kafka = compose()["services"]["kafka"]["environment"]
    protocols = dict(entry.split(":") for entry in kafka["KAFKA_LISTENER_SECURITY_PROTOCOL_MAP"].split(","))
    listeners = dict(entry.split("://") for entry in kafka["KAFKA_LISTENERS"].split(","))
    assert protocols == {"INTERNAL": "SASL_SSL", "HOST": "SASL_SSL", "CONTROLLER": "SASL_PLAINTEXT"}
    assert listeners["CONTROLLER"].startswith("localhost:")  # the one without TLS: inside the container only
    assert kafka["KAFKA_AUTHORIZER_CLASS_NAME"] == "org.apache.kafka.metadata.authorizer.StandardAuthorizer"
    assert kafka["KAFKA_SUPER_USERS"] == "User:admin" and kafka["KAFKA_ALLOW_EVERYONE_IF_NO_ACL_FOUND"] == "false"
    assert set(kafka["KAFKA_SASL_ENABLED_MECHANISMS"].split(",")) == {"SCRAM-SHA-512", "PLAIN"}
    for listener in ("INTERNAL", "HOST"):
        assert "ScramLoginModule" in kafka[f"KAFKA_LISTENER_NAME_{listener}_SCRAM___SHA___512_SASL_JAAS_CONFIG"]
        assert 'user_admin="${KAFKA_ADMIN_PASSWORD:?' in kafka[f"KAFKA_LISTENER_NAME_{listener}_PLAIN_SASL_JAAS_CONFIG"]


def test_each_service_signs_in_as_itself_with_scram_over_tls_checking_the_brokers_certificate():
    services = compose()["services"]
    principals = {a.principal.removeprefix("User:") for a in acl_file()}
    for service in SERVICES:
        environment = services[service]["environment"]
        assert (environment["KAFKA_SECURITY_PROTOCOL"], environment["KAFKA_SASL_MECHANISM"]) == (
            "SASL_SSL",
            "SCRAM-SHA-512",
        )
        assert environment["KAFKA_USERNAME"] == service and service in principals
        assert environment["KAFKA_PASSWORD"].startswith(f"${{KAFKA_{service.upper()}_PASSWORD:?")
        ca_file = Path(environment["KAFKA_SSL_CA_FILE"])
        assert f"kafka-tls:{ca_file.parent}:ro" in services[service]["volumes"]
        assert services[service]["depends_on"]["kafka-setup"] == {"condition": "service_completed_successfully"}
    setup = services["kafka-setup"]["environment"]
    assert {f"ENTITLE_KAFKA_{p.upper().replace('-', '_')}_PASSWORD" for p in principals} | {
        "ENTITLE_KAFKA_ADMIN_PASSWORD"
    } == set(setup)


@pytest.fixture
def kafka_tools(tmp_path) -> Path:
    """Stand-ins for kafka-configs.sh and kafka-acls.sh that note each call's arguments."""
    bin_dir = tmp_path / "bin"
    bin_dir.mkdir()
    for tool in ("kafka-configs.sh", "kafka-acls.sh"):
        script = bin_dir / tool
        script.write_text(f'#!/usr/bin/env bash\nprintf "%s\\n" "{tool}" "$@" "--end--" >> "{tmp_path}/calls"\n')
        script.chmod(0o755)
    return bin_dir


def calls(tmp_path: Path) -> list[list[str]]:
    found, current = [], []
    for word in (tmp_path / "calls").read_text().splitlines():
        if word == "--end--":
            found.append(current)
            current = []
        else:
            current.append(word)
    return found


def option_values(arguments: list[str], option: str) -> list[str]:
    return [arguments[i + 1] for i, word in enumerate(arguments) if word == option]


def test_the_setup_job_makes_a_scram_user_per_principal_and_applies_every_acl(tmp_path, kafka_tools):
    principals = sorted({a.principal.removeprefix("User:") for a in acl_file()})
    passwords = {f"ENTITLE_KAFKA_{p.upper()}_PASSWORD": f"pw-{p}" for p in principals}
    subprocess.run(
        ["bash", str(KAFKA / "setup-users-and-acls.sh")],
        check=True,
        capture_output=True,
        env={
            "PATH": os.environ["PATH"],
            "KAFKA_BIN": str(kafka_tools),
            "KAFKA_SECRETS": str(tmp_path),
            "ENTITLE_KAFKA_ADMIN_PASSWORD": "pw-admin",
            **passwords,
        },
    )
    made = calls(tmp_path)
    users = {
        option_values(c, "--entity-name")[0]: option_values(c, "--add-config")[0]
        for c in made
        if c[0] == "kafka-configs.sh"
    }
    assert users == {p: f"SCRAM-SHA-512=[iterations=8192,password=pw-{p}]" for p in principals}
    applied = set()
    for c in (c for c in made if c[0] == "kafka-acls.sh"):
        resource = "topic" if "--topic" in c else "group"
        applied |= {
            Acl(
                option_values(c, "--allow-principal")[0],
                op,
                resource,
                option_values(c, "--resource-pattern-type")[0],
                name,
            )
            for op in option_values(c, "--operation")
            for name in option_values(c, f"--{resource}")
        }
        assert option_values(c, "--command-config") and "--add" in c
    assert applied == acl_file()
    assert all("--bootstrap-server" in c and option_values(c, "--bootstrap-server") == ["kafka:19092"] for c in made)


def test_the_setup_job_stops_when_a_password_is_missing(tmp_path, kafka_tools):
    done = subprocess.run(
        ["bash", str(KAFKA / "setup-users-and-acls.sh")],
        capture_output=True,
        text=True,
        env={
            "PATH": os.environ["PATH"],
            "KAFKA_BIN": str(kafka_tools),
            "KAFKA_SECRETS": str(tmp_path),
            "ENTITLE_KAFKA_ADMIN_PASSWORD": "pw-admin",
        },
    )
    assert done.returncode != 0 and "_PASSWORD is not set" in done.stderr
    assert not (tmp_path / "calls").exists() or "kafka-acls.sh" not in (tmp_path / "calls").read_text()


@pytest.mark.skipif(
    shutil.which("keytool") is None or shutil.which("openssl") is None,
    reason="needs the JDK's keytool (the Kafka image has it) and openssl",
)
def test_the_tls_job_makes_a_ca_and_a_broker_certificate_a_strict_client_accepts_for_kafka_and_localhost(tmp_path):
    environment = {"PATH": os.environ["PATH"], "ENTITLE_KAFKA_TLS_KEYSTORE_PASSWORD": "dev-only-keystore"}
    made = subprocess.run(
        ["bash", str(KAFKA / "make-tls.sh"), str(tmp_path)],
        capture_output=True,
        text=True,
        env=environment,
        timeout=120,
    )
    assert made.returncode == 0, made.stderr
    assert oct((tmp_path / "broker.p12").stat().st_mode & 0o777) == "0o600"
    kept = subprocess.run(
        ["bash", str(KAFKA / "make-tls.sh"), str(tmp_path)], capture_output=True, text=True, env=environment, timeout=60
    )
    assert "kept" in kept.stdout  # a later run never replaces the certificate clients trust

    # The broker's key and certificate out of its keystore, served as Kafka would.
    pem = subprocess.run(
        [
            "openssl",
            "pkcs12",
            "-in",
            str(tmp_path / "broker.p12"),
            "-passin",
            "pass:dev-only-keystore",
            "-nodes",
            "-nocerts",
        ],
        capture_output=True,
        text=True,
        check=True,
    )
    (tmp_path / "key.pem").write_text(pem.stdout)
    leaf = subprocess.run(
        [
            "openssl",
            "pkcs12",
            "-in",
            str(tmp_path / "broker.p12"),
            "-passin",
            "pass:dev-only-keystore",
            "-nokeys",
            "-clcerts",
        ],
        capture_output=True,
        text=True,
        check=True,
    )
    (tmp_path / "leaf.pem").write_text(leaf.stdout)

    async def handshake(host: str) -> None:
        server_side = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
        server_side.load_cert_chain(tmp_path / "leaf.pem", tmp_path / "key.pem")
        server = await asyncio.start_server(lambda _r, w: w.close(), "127.0.0.1", 0, ssl=server_side)
        client_side = ssl.create_default_context(cafile=str(tmp_path / "ca.pem"))
        client_side.verify_flags |= ssl.VERIFY_X509_STRICT
        try:
            _reader, writer = await asyncio.open_connection(
                "127.0.0.1", server.sockets[0].getsockname()[1], ssl=client_side, server_hostname=host
            )
            writer.close()
        finally:
            server.close()

    for host in ("kafka", "localhost", "127.0.0.1"):
        asyncio.run(handshake(host))
    with pytest.raises(ssl.SSLCertVerificationError):
        asyncio.run(handshake("evil.example"))
