from pydantic import Field
from pydantic_settings import SettingsConfigDict

from servicekit.settings import ServiceSettings, own_address, public_url_problems


class SubscriptionsSettings(ServiceSettings):
    model_config = SettingsConfigDict(env_prefix="SUBSCRIPTIONS_")
    service_name: str = "subscriptions"
    http_port: int = 8102
    portal_url: str = Field(
        "",
        description="Where administrators read and accept agreements "
        "(`https://...`): the base of the links in agreement and amendment "
        "e-mails. Required outside a test clock (https unless the host is "
        "loopback). Empty on a test stack: this service's own address.",
    )
    catalogue_file: str = Field(
        "",
        description="The product catalogue (TOML) an operator edits; "
        "validated at start-up. Empty: the packaged catalogue.toml.",
    )

    def resolved_portal_url(self) -> str:
        return self.portal_url.rstrip("/") or own_address(self.http_host, self.http_port)

    def production_problems(self) -> list[str]:
        return super().production_problems() + public_url_problems(
            "SUBSCRIPTIONS_PORTAL_URL", self.portal_url, "agreement and amendment links"
        )
