from pydantic import Field
from pydantic_settings import SettingsConfigDict

from servicekit.settings import ServiceSettings


class SubscriptionsSettings(ServiceSettings):
    model_config = SettingsConfigDict(env_prefix="SUBSCRIPTIONS_")
    service_name: str = "subscriptions"
    http_port: int = 8102
    portal_url: str = Field("http://127.0.0.1:8102", description="Where administrators read and "
                            "accept agreements; the base of the links in agreement e-mails.")
    catalogue_file: str = Field("", description="The product catalogue (TOML) an operator edits; "
                                "validated at start-up. Empty: the packaged catalogue.toml.")
