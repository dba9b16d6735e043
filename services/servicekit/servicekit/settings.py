"""Settings every service shares. Each service subclasses with its own env prefix (`SEATS_`)."""
from __future__ import annotations

from typing import Literal

from pydantic import Field
from pydantic_settings import BaseSettings, EnvSettingsSource, PydanticBaseSettingsSource


class ServiceSettings(BaseSettings):
    """`<NAME>_DATABASE_URL` wins over `DATABASE_URL`; likewise for every field."""

    service_name: str = Field("service", description="The service's name: its consumer group, "
                              "schema and log tag.")
    http_host: str = Field("127.0.0.1", description="Address the HTTP API listens on (0.0.0.0 in a container).")
    http_port: int = Field(8000, description="Port of the HTTP API, /health, /ready and /metrics.")
    database_url: str = Field("", description="SQLAlchemy URL (`postgresql://...` or `sqlite:///...`; "
                              "async drivers are chosen for you). Empty: SQLite at `<VAR_DIR>/<service>.db`.")
    db_schema: str = Field("", description="PostgreSQL schema holding this service's tables, so the "
                           "five services can share one database. Empty: the service's name.")
    migrate_on_start: bool = Field(True, description="Migrate the schema to the code's revision at "
                                   "start-up. Off when `python -m <service> migrate` runs as a deployment "
                                   "step: start-up then refuses a schema that is not up to date.")
    kafka_bootstrap_servers: str = Field("127.0.0.1:9092", description="Kafka brokers, comma-separated.")
    token_secret: str = Field("entitle-dev-secret-change-me-in-production", description="HS256 key "
                              "that signs and verifies access tokens; the same in every service. Change it.")
    token_ttl_seconds: int = Field(3600, ge=60, le=24 * 3600, description="How long an access token "
                                   "lives. Identity issues tokens for this long; every service refuses "
                                   "a token whose lifetime is longer.")
    operator_token: str = Field("", description="Value of `X-Operator-Token` that operator routes "
                                "require. Empty: operator routes are refused (open only on a test clock).")
    clock_file: str = Field("", description="A shared test clock (JSON file) instead of real time: "
                            "for demos and tests only, never in production.")
    var_dir: str = Field("var", description="Where the default SQLite files live.")
    consumer_max_attempts: int = Field(5, description="Tries of one event before it goes to the "
                                       "group's dead-letter topic `<group>.dlq`.")
    consumer_backoff_seconds: float = Field(0.2, description="Wait before the first retry of a "
                                            "failing event; doubles with each attempt.")
    # The embedded broker answers a fetch only when this wait ends, even if records arrive
    # sooner (Apache Kafka answers at once): at aiokafka's default of 500 ms each hop
    # between services took ~140 ms at p50; at 100 ms, ~15 ms. Lower waits cost CPU in idle
    # fetches and shrink batches: see docs/benchmarks.md.
    consumer_fetch_max_wait_ms: int = Field(100, description="Longest a consumer's fetch waits for "
                                            "records (a latency / idle-CPU trade-off).")
    consumer_session_timeout_ms: int = Field(10000, description="A consumer that stops "
                                             "heartbeating this long (a crashed process) loses its "
                                             "partitions to another process of its group. Brokers "
                                             "accept 6000 and up by default.")
    relay_enabled: bool = Field(True, description="Publish the outbox from this process.")
    relay_batch_size: int = Field(500, description="Outbox events the relay publishes per round trip.")
    relay_leader_poll_seconds: float = Field(5.0, description="How often a standby replica tries to "
                                             "take over the outbox relay (PostgreSQL: one replica "
                                             "publishes at a time).")
    relay_gap_grace_seconds: float = Field(0.0, description="PostgreSQL: how long the relay waits for "
                                           "a transaction holding an earlier outbox seq to commit "
                                           "before it publishes past the gap. 0: off; row locks keep "
                                           "each subscription's events in order (docs/architecture.md, "
                                           "Replicas).")
    scheduler_poll_seconds: float = Field(1.0, description="How often due jobs (renewals, term "
                                          "ends, expiries) are looked for.")
    log_level: str = Field("INFO", description="DEBUG, INFO, WARNING or ERROR.")
    log_format: Literal["json", "text"] = Field("json", description="json: one object a line, with "
                                                "the correlation id, for a log collector; text: readable "
                                                "(the default of `make run`).")

    @classmethod
    def settings_customise_sources(cls, settings_cls, init_settings, env_settings,
                                   dotenv_settings, file_secret_settings
                                   ) -> tuple[PydanticBaseSettingsSource, ...]:
        shared_env = EnvSettingsSource(settings_cls, env_prefix="")
        return init_settings, env_settings, shared_env, dotenv_settings, file_secret_settings

    def production_problems(self) -> list[str]:
        """What makes this configuration unsafe to serve real people with (a default secret, a
        missing public URL, ...), one sentence each. A service refuses to start with any of
        them unless it runs on a test clock. Services add their own by extending this."""
        return []

    def resolved_database_url(self) -> str:
        """SQLite file under `var/` unless a URL is given; plain driver names get async drivers."""
        url = self.database_url or f"sqlite:///{self.var_dir}/{self.service_name}.db"
        for plain, async_driver in (("postgresql://", "postgresql+asyncpg://"),
                                    ("postgres://", "postgresql+asyncpg://"),
                                    ("sqlite://", "sqlite+aiosqlite://")):
            if url.startswith(plain):
                return async_driver + url[len(plain):]
        return url

    def resolved_schema(self) -> str:
        """On PostgreSQL each service owns a schema, so all five can share one database."""
        return self.db_schema or self.service_name
