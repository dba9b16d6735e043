from pydantic import Field
from pydantic_settings import SettingsConfigDict

from servicekit.settings import ServiceSettings, own_address, public_url_problems


class BillingSettings(ServiceSettings):
    model_config = SettingsConfigDict(env_prefix="BILLING_")
    service_name: str = "billing"
    http_port: int = 8105
    public_url: str = Field(
        "",
        description="Where customers read invoices (`<url>/invoices/{id}`, "
        "`https://...`). Required outside a test clock (https unless the host "
        "is loopback). Empty on a test stack: this service's own address.",
    )

    def resolved_public_url(self) -> str:
        return self.public_url.rstrip("/") or own_address(self.http_host, self.http_port)

    def production_problems(self) -> list[str]:
        return super().production_problems() + public_url_problems(
            "BILLING_PUBLIC_URL", self.public_url, "invoice links"
        )
