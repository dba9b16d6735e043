from pydantic import Field
from pydantic_settings import SettingsConfigDict

from servicekit.settings import ServiceSettings


class SubscriptionsSettings(ServiceSettings):
    model_config = SettingsConfigDict(env_prefix="SUBSCRIPTIONS_")
    service_name: str = "subscriptions"
    http_port: int = 8102
    catalogue_file: str = Field(
        "",
        description="The product catalogue (TOML) an operator edits; "
        "validated at start-up. Empty: the packaged catalogue.toml.",
    )

    def production_problems(self) -> list[str]:
        return super().production_problems() + self.portal_url_problems("agreement and amendment links")
