"""Broker wiring shared by every service and tool: the FastStream broker, topic creation, and
the one place that turns the Kafka connection settings into client arguments.

Every Kafka client the project creates (the services' broker, the topic admin, the relay,
the `entitle` tools, the time machine, the bench) takes its connection from here, so a
deployment that requires SASL over TLS configures it once (docs/operations.md, "Kafka
authentication"). Services read the settings with their own prefix (`SEATS_KAFKA_PASSWORD`
wins over `KAFKA_PASSWORD`); tools read the unprefixed variables.
"""

from __future__ import annotations

import logging
import ssl
from collections.abc import Iterable, Mapping
from typing import Any, Literal

from aiokafka.admin import AIOKafkaAdminClient, NewTopic
from aiokafka.errors import TopicAlreadyExistsError, for_code
from faststream.kafka import KafkaBroker
from faststream.security import BaseSecurity, SASLPlaintext, SASLScram256, SASLScram512
from pydantic import SecretStr, model_validator
from pydantic_settings import BaseSettings, SettingsConfigDict

from contracts.topics import Topic, topic_named

log = logging.getLogger("servicekit.messaging.kafka")
MOST_REPLICAS = 3  # where the cluster has that many brokers; a single broker gets 1

SecurityProtocol = Literal["PLAINTEXT", "SSL", "SASL_PLAINTEXT", "SASL_SSL"]
SaslMechanism = Literal["SCRAM-SHA-512", "SCRAM-SHA-256", "PLAIN"]
_SASL_SECURITY = {"SCRAM-SHA-512": SASLScram512, "SCRAM-SHA-256": SASLScram256, "PLAIN": SASLPlaintext}


class KafkaSecurity(BaseSettings):
    """How a client proves who it is to the brokers, and how it checks them.

    Built from a service's settings (`KafkaSecurity.of(settings)`), or, for a tool, from the
    unprefixed environment (`KAFKA_SECURITY_PROTOCOL`, `KAFKA_SASL_MECHANISM`,
    `KAFKA_USERNAME`, `KAFKA_PASSWORD`, `KAFKA_SSL_CA_FILE`): the same names and meanings as
    the services' settings, which a test keeps in step.
    """

    model_config = SettingsConfigDict(env_prefix="KAFKA_", frozen=True, extra="ignore")

    security_protocol: SecurityProtocol = "PLAINTEXT"
    sasl_mechanism: SaslMechanism = "SCRAM-SHA-512"
    username: str = ""
    password: SecretStr = SecretStr("")
    ssl_ca_file: str = ""

    @model_validator(mode="after")
    def _usable(self) -> KafkaSecurity:
        # Refused at start-up rather than discovered as a broker that never answers.
        if self.sasl and not (self.username and self.password.get_secret_value()):
            raise ValueError(
                f"KAFKA_SECURITY_PROTOCOL={self.security_protocol} needs KAFKA_USERNAME and KAFKA_PASSWORD"
            )
        if self.sasl_mechanism == "PLAIN" and self.security_protocol == "SASL_PLAINTEXT":
            raise ValueError(
                "KAFKA_SASL_MECHANISM=PLAIN sends the password as it is: use it only "
                "with KAFKA_SECURITY_PROTOCOL=SASL_SSL"
            )
        return self

    @classmethod
    def of(cls, settings: Any) -> KafkaSecurity:
        """A service's Kafka security, from its settings (`kafka_*` fields of ServiceSettings)."""
        return cls(
            security_protocol=settings.kafka_security_protocol,
            sasl_mechanism=settings.kafka_sasl_mechanism,
            username=settings.kafka_username,
            password=settings.kafka_password,
            ssl_ca_file=settings.kafka_ssl_ca_file,
        )

    @property
    def sasl(self) -> bool:
        return self.security_protocol.startswith("SASL_")

    @property
    def tls(self) -> bool:
        return self.security_protocol in ("SSL", "SASL_SSL")

    def ssl_context(self) -> ssl.SSLContext | None:
        """Verifies the brokers' certificates and host names: against the CA file when one
        is given (a private CA), else against the system's trusted CAs."""
        if not self.tls:
            return None
        return ssl.create_default_context(cafile=self.ssl_ca_file or None)

    def client_options(self) -> dict[str, Any]:
        """Keyword arguments for an aiokafka producer, consumer or admin client."""
        options: dict[str, Any] = {"security_protocol": self.security_protocol}
        if self.tls:
            options["ssl_context"] = self.ssl_context()
        if self.sasl:
            options.update(
                sasl_mechanism=self.sasl_mechanism,
                sasl_plain_username=self.username,
                sasl_plain_password=self.password.get_secret_value(),
            )
        return options

    def faststream_security(self) -> BaseSecurity | None:
        """The same, as FastStream's `KafkaBroker(security=...)` takes it."""
        if self.sasl:
            return _SASL_SECURITY[self.sasl_mechanism](
                self.username, self.password.get_secret_value(), ssl_context=self.ssl_context(), use_ssl=self.tls
            )
        return BaseSecurity(ssl_context=self.ssl_context(), use_ssl=True) if self.tls else None


def client_options(bootstrap_servers: str, security: KafkaSecurity | None = None) -> dict[str, Any]:
    """The brokers and how to reach them, for any aiokafka client a tool creates. Without
    `security`, the `KAFKA_*` variables of the environment say how (plaintext when unset, as
    `make run`'s broker)."""
    return {"bootstrap_servers": bootstrap_servers, **(security or KafkaSecurity()).client_options()}


def make_broker(bootstrap_servers: str, client_id: str, security: KafkaSecurity | None = None) -> KafkaBroker:
    # No idempotent producer: the embedded broker (Tansu) does not implement it, and the
    # design never needs it (consumers deduplicate by event id).
    return KafkaBroker(
        bootstrap_servers,
        client_id=client_id,
        acks="all",
        enable_idempotence=False,
        security=(security or KafkaSecurity()).faststream_security(),
        graceful_timeout=30.0,
        logger=logging.getLogger(f"{client_id}.broker"),
    )


def definitions(topics: Iterable[Topic] | Mapping[str, int]) -> list[Topic]:
    """Topics as `contracts.topics` defines them. The names of a name → partitions mapping
    are looked up there too; a name it does not know (a benchmark's scratch topic) becomes
    an internal topic with those partitions."""
    if not isinstance(topics, Mapping):
        return list(topics)
    return [
        topic_named(name) or Topic(name, "unknown", "", public=False, partitions=partitions)
        for name, partitions in topics.items()
    ]


def new_topic(topic: Topic, replication_factor: int) -> NewTopic:
    return NewTopic(topic.name, topic.partitions, replication_factor, topic_configs=topic.config())


async def replication_factor(admin: AIOKafkaAdminClient) -> int:
    brokers = (await admin.describe_cluster())["brokers"]
    return max(1, min(MOST_REPLICAS, len(brokers)))


async def create_missing(admin: AIOKafkaAdminClient, topics: list[Topic], replicas: int | None = None) -> list[Topic]:
    """Create the topics the broker lacks; returns them. An error other than 'already
    exists' (another service won the race) raises."""
    existing = set(await admin.list_topics())
    missing = [t for t in topics if t.name not in existing]
    if not missing:
        return []
    replicas = replicas or await replication_factor(admin)
    response = await admin.create_topics([new_topic(t, replicas) for t in missing])
    for name, code, *message in response.topic_errors:
        error = for_code(code)
        if code and error is not TopicAlreadyExistsError:
            raise error(f"creating topic {name}: {message[0] if message else ''}")
    return missing


async def ensure_topics(
    bootstrap_servers: str,
    topics: Iterable[Topic] | Mapping[str, int],
    replicas: int | None = None,
    security: KafkaSecurity | None = None,
) -> list[Topic]:
    """Create the topics that are missing, with the partitions and settings of their
    definition; existing ones are left alone. Returns the ones created."""
    admin = AIOKafkaAdminClient(**client_options(bootstrap_servers, security), client_id="entitle-admin")
    await admin.start()
    try:
        created = await create_missing(admin, definitions(topics), replicas)
    finally:
        await admin.close()
    if created:
        log.info("created topics %s", ", ".join(t.name for t in created))
    return created
