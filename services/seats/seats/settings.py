from pydantic_settings import SettingsConfigDict

from servicekit.settings import ServiceSettings


class SeatsSettings(ServiceSettings):
    model_config = SettingsConfigDict(env_prefix="SEATS_")
    service_name: str = "seats"
    http_port: int = 8103
