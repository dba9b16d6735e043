"""Settings every service shares. Each service subclasses with its own env prefix (`SEATS_`)."""

from __future__ import annotations

from typing import Literal
from urllib.parse import urlsplit

from pydantic import Field, SecretStr
from pydantic_settings import BaseSettings, EnvSettingsSource, PydanticBaseSettingsSource

# The default token secret is public (it is in this file), so a service refuses it outside a
# test clock; so are the development values this repository ever published.
DEV_TOKEN_SECRET = "entitle-dev-secret-change-me-in-production"
PUBLISHED_SECRETS = frozenset(
    {
        DEV_TOKEN_SECRET,
        "entitle-dev-only-token-secret-change-me",
        "entitle-dev-only-operator-token",
        "a-long-random-secret",
    }
)
MIN_SECRET_BYTES = 32


# A loopback public URL reaches no one but this machine: plain http there is a local trial
# (the compose file's defaults), not links mailed across the internet.
LOOPBACK_HOSTS = {"127.0.0.1", "localhost", "::1"}
ANY_ADDRESS = {"", "0.0.0.0", "::"}


def public_url_problems(variable: str, url: str, links: str) -> list[str]:
    """Why `url` cannot be the base of `links` mailed to real people (empty if it can).

    Links are built from configuration only, never from a request's Host header, which the
    caller writes: a link built from it would carry a live token to the caller's host."""
    if not url:
        return [f"{variable} is empty: {links} need the address people reach the service at (https://...)."]
    parts = urlsplit(url)
    if parts.scheme not in ("http", "https") or not parts.hostname or parts.query or parts.fragment:
        return [f"{variable} {url!r} is not an absolute http(s) URL without query or fragment."]
    if parts.scheme != "https" and parts.hostname not in LOOPBACK_HOSTS:
        return [f"{variable} {url!r} is not https: {links} must not travel in clear text."]
    return []


TEST_STACK_PORTAL = "http://127.0.0.1:8100"  # the portal's address on `make run`


def own_address(host: str, port: int) -> str:
    """A service's own base URL, for the links of a test stack that configured none."""
    return f"http://{'127.0.0.1' if host in ANY_ADDRESS else host}:{port}"


class ServiceSettings(BaseSettings):
    """`<NAME>_DATABASE_URL` wins over `DATABASE_URL`; likewise for every field."""

    service_name: str = Field("service", description="The service's name: its consumer group, schema and log tag.")
    http_host: str = Field("127.0.0.1", description="Address the HTTP API listens on (0.0.0.0 in a container).")
    http_port: int = Field(8000, description="Port of the HTTP API, /health, /ready and /metrics.")
    database_url: str = Field(
        "",
        description="SQLAlchemy URL (`postgresql://...` or `sqlite:///...`; "
        "async drivers are chosen for you). Empty: SQLite at `<VAR_DIR>/<service>.db`.",
    )
    db_schema: str = Field(
        "",
        description="PostgreSQL schema holding this service's tables, so the "
        "five services can share one database. Empty: the service's name.",
    )
    migrate_on_start: bool = Field(
        True,
        description="Migrate the schema to the code's revision at "
        "start-up. Off when `python -m <service> migrate` runs as a deployment "
        "step: start-up then refuses a schema that is not up to date.",
    )
    kafka_bootstrap_servers: str = Field("127.0.0.1:9092", description="Kafka brokers, comma-separated.")
    kafka_security_protocol: Literal["PLAINTEXT", "SSL", "SASL_PLAINTEXT", "SASL_SSL"] = Field(
        "PLAINTEXT",
        description="How the service reaches Kafka: PLAINTEXT (the embedded broker of "
        "`make run`), SSL, or SASL_SSL (authenticated over TLS; infra/docker-compose.yml). "
        "SASL_PLAINTEXT only with SCRAM, on a network no one else reaches.",
    )
    kafka_sasl_mechanism: Literal["SCRAM-SHA-512", "SCRAM-SHA-256", "PLAIN"] = Field(
        "SCRAM-SHA-512", description="SASL mechanism with a SASL_* protocol. PLAIN only over SASL_SSL."
    )
    kafka_username: str = Field(
        "", description="SASL user: one per service, so the broker's ACLs let it write only its own topics."
    )
    kafka_password: SecretStr = Field(SecretStr(""), description="SASL password of `KAFKA_USERNAME`.")
    kafka_ssl_ca_file: str = Field(
        "",
        description="PEM file of the CA that signed the brokers' "
        "certificates, with SSL or SASL_SSL. Empty: the system's trusted CAs. "
        "Broker host names are always checked.",
    )
    portal_url: str = Field(
        "",
        description="Where people open the portal (`https://...`): the portal's own address and "
        "the base of every link in every e-mail (verification, invitation, agreement, amendment, "
        "invoice, password reset), which open its pages. One value for every service. Required "
        "outside a test clock by the services that mail links and by the portal (https unless the "
        f"host is loopback). Empty on a test stack: {TEST_STACK_PORTAL}. Never taken from a "
        "request's Host header.",
    )
    token_secret: str = Field(
        DEV_TOKEN_SECRET,
        description="HS256 key that signs and verifies access "
        "tokens; the same in every service. At least 32 bytes of random: a service "
        "not on a test clock refuses to start with this public default, an empty "
        "or a shorter one.",
    )
    token_previous_secrets: str = Field(
        "",
        description="Earlier `TOKEN_SECRET` values, comma-separated, "
        "still accepted to verify tokens (never to sign) while a rotation "
        "runs: keep one for `TOKEN_TTL_SECONDS` after the switch, then "
        "remove it (docs/operations.md, rotating secrets).",
    )
    token_ttl_seconds: int = Field(
        3600,
        ge=60,
        le=24 * 3600,
        description="How long an access token "
        "lives. Identity issues tokens for this long; every service refuses "
        "a token whose lifetime is longer.",
    )
    operator_token: str = Field(
        "",
        description="Value of `X-Operator-Token` that every `/ops` route "
        "requires (at least 32 bytes). Empty: operator routes are refused (open "
        "only on a test clock).",
    )
    metrics_open: bool = Field(
        False,
        description="Serve `/metrics` to anyone. Off: like the `/ops` routes "
        "it needs the operator token, as `X-Operator-Token` or `Authorization: "
        "Bearer` (Prometheus' `authorization` scrape setting).",
    )
    max_request_bytes: int = Field(
        1024 * 1024,
        ge=1024,
        description="Largest request body (JSON and "
        "anything but an upload) a service reads; a larger one is answered 413 "
        "before it is parsed.",
    )
    max_upload_bytes: int = Field(
        11 * 1024 * 1024,
        ge=1024,
        description="Largest `multipart/form-data` request (a seat import: a file of up to 10 MB, and its form).",
    )
    clock_file: str = Field(
        "",
        description="A shared test clock (JSON file) instead of real time: "
        "for demos and tests only, never in production.",
    )
    var_dir: str = Field("var", description="Where the default SQLite files live.")
    consumer_max_attempts: int = Field(
        5, description="Tries of one event before it goes to the group's dead-letter topic `<group>.dlq`."
    )
    consumer_backoff_seconds: float = Field(
        0.2, description="Wait before the first retry of a failing event; doubles with each attempt."
    )
    # The embedded broker answers a fetch only when this wait ends, even if records arrive
    # sooner (Apache Kafka answers at once): at aiokafka's default of 500 ms each hop
    # between services took ~140 ms at p50; at 100 ms, ~15 ms. Lower waits cost CPU in idle
    # fetches and shrink batches: see docs/benchmarks.md.
    consumer_fetch_max_wait_ms: int = Field(
        100, description="Longest a consumer's fetch waits for records (a latency / idle-CPU trade-off)."
    )
    consumer_session_timeout_ms: int = Field(
        10000,
        description="A consumer that stops "
        "heartbeating this long (a crashed process) loses its "
        "partitions to another process of its group. Brokers "
        "accept 6000 and up by default.",
    )
    relay_enabled: bool = Field(True, description="Publish the outbox from this process.")
    relay_batch_size: int = Field(500, description="Outbox events the relay publishes per round trip.")
    relay_leader_poll_seconds: float = Field(
        5.0,
        description="How often a standby replica tries to "
        "take over the outbox relay (PostgreSQL: one replica "
        "publishes at a time).",
    )
    relay_gap_grace_seconds: float = Field(
        0.0,
        description="PostgreSQL: how long the relay waits for "
        "a transaction holding an earlier outbox seq to commit "
        "before it publishes past the gap. 0: off; row locks keep "
        "each subscription's events in order (docs/architecture.md, "
        "Replicas).",
    )
    scheduler_poll_seconds: float = Field(
        1.0, description="How often due jobs (renewals, term ends, expiries) are looked for."
    )
    log_level: str = Field("INFO", description="DEBUG, INFO, WARNING or ERROR.")
    log_format: Literal["json", "text"] = Field(
        "json",
        description="json: one object a line, with "
        "the correlation id, for a log collector; text: readable "
        "(the default of `make run`).",
    )

    @classmethod
    def settings_customise_sources(
        cls,
        settings_cls: type[BaseSettings],
        init_settings: PydanticBaseSettingsSource,
        env_settings: PydanticBaseSettingsSource,
        dotenv_settings: PydanticBaseSettingsSource,
        file_secret_settings: PydanticBaseSettingsSource,
    ) -> tuple[PydanticBaseSettingsSource, ...]:
        shared_env = EnvSettingsSource(settings_cls, env_prefix="")
        return init_settings, env_settings, shared_env, dotenv_settings, file_secret_settings

    def production_problems(self) -> list[str]:
        """What makes this configuration unsafe to serve real people with (a default secret, a
        missing public URL, ...), one sentence each. A service refuses to start with any of
        them unless it runs on a test clock. Services add their own by extending this."""
        problems = secret_problems("TOKEN_SECRET", self.token_secret)
        for previous in self.previous_token_secrets():
            problems += secret_problems("a TOKEN_PREVIOUS_SECRETS value", previous)
        if self.operator_token:
            problems += secret_problems("OPERATOR_TOKEN", self.operator_token)
        return problems

    def resolved_portal_url(self) -> str:
        return self.portal_url.rstrip("/") or TEST_STACK_PORTAL

    def portal_url_problems(self, links: str) -> list[str]:
        """For a service whose e-mails link to the portal (`links`: which ones)."""
        return public_url_problems("PORTAL_URL", self.portal_url, links)

    def previous_token_secrets(self) -> tuple[str, ...]:
        return tuple(s.strip() for s in self.token_previous_secrets.split(",") if s.strip())

    def resolved_database_url(self) -> str:
        """SQLite file under `var/` unless a URL is given; plain driver names get async drivers."""
        url = self.database_url or f"sqlite:///{self.var_dir}/{self.service_name}.db"
        for plain, async_driver in (
            ("postgresql://", "postgresql+asyncpg://"),
            ("postgres://", "postgresql+asyncpg://"),
            ("sqlite://", "sqlite+aiosqlite://"),
        ):
            if url.startswith(plain):
                return async_driver + url[len(plain) :]
        return url

    def resolved_schema(self) -> str:
        """On PostgreSQL each service owns a schema, so all five can share one database."""
        return self.db_schema or self.service_name


def secret_problems(name: str, value: str) -> list[str]:
    """Why `value` cannot protect anything as `name` (empty if it can)."""
    if not value:
        return [f"{name} is empty."]
    if value in PUBLISHED_SECRETS:
        return [
            f"{name} is a published development value: set a long random one, e.g. "
            '`python -c "import secrets; print(secrets.token_urlsafe(48))"`.'
        ]
    if len(value.encode()) < MIN_SECRET_BYTES:
        return [f"{name} is shorter than {MIN_SECRET_BYTES} bytes: set a long random value."]
    return []
