from pydantic_settings import SettingsConfigDict

from servicekit.settings import ServiceSettings


class SubscriptionsSettings(ServiceSettings):
    model_config = SettingsConfigDict(env_prefix="SUBSCRIPTIONS_")
    service_name: str = "subscriptions"
    http_port: int = 8102
    portal_url: str = "http://127.0.0.1:8102"
    catalogue_file: str = ""  # SUBSCRIPTIONS_CATALOGUE_FILE; empty: the packaged catalogue.toml
