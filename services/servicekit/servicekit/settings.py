"""Settings every service shares. Each service subclasses with its own env prefix (`SEATS_`)."""
from __future__ import annotations

from typing import Literal

from pydantic_settings import BaseSettings, EnvSettingsSource, PydanticBaseSettingsSource


class ServiceSettings(BaseSettings):
    """`<NAME>_DATABASE_URL` wins over `DATABASE_URL`; likewise for every field."""

    service_name: str = "service"
    http_host: str = "127.0.0.1"
    http_port: int = 8000
    database_url: str = ""
    db_schema: str = ""
    # Off for teams that run `python -m <service> migrate` as a deployment step: start-up then
    # only checks that the schema is at the code's revisions and refuses to start otherwise.
    migrate_on_start: bool = True
    kafka_bootstrap_servers: str = "127.0.0.1:9092"
    token_secret: str = "entitle-dev-secret-change-me-in-production"
    operator_token: str = ""  # X-Operator-Token for operator actions; empty: off (open with a test clock)
    clock_file: str = ""
    var_dir: str = "var"
    consumer_max_attempts: int = 5
    consumer_backoff_seconds: float = 0.2
    # The embedded broker answers a fetch only when this wait ends, even if records arrive
    # sooner (Apache Kafka answers at once): at aiokafka's default of 500 ms each hop
    # between services took ~140 ms at p50; at 100 ms, ~15 ms. Lower waits cost CPU in idle
    # fetches and shrink batches: see docs/benchmarks.md.
    consumer_fetch_max_wait_ms: int = 100
    relay_enabled: bool = True
    relay_batch_size: int = 500
    scheduler_poll_seconds: float = 1.0
    log_level: str = "INFO"
    # json: one object a line, for a log collector; text: readable, e.g. `LOG_FORMAT=text make run`.
    log_format: Literal["json", "text"] = "json"

    @classmethod
    def settings_customise_sources(cls, settings_cls, init_settings, env_settings,
                                   dotenv_settings, file_secret_settings
                                   ) -> tuple[PydanticBaseSettingsSource, ...]:
        shared_env = EnvSettingsSource(settings_cls, env_prefix="")
        return init_settings, env_settings, shared_env, dotenv_settings, file_secret_settings

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
