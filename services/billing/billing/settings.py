from pydantic import Field
from pydantic_settings import SettingsConfigDict

from servicekit.settings import ServiceSettings


class BillingSettings(ServiceSettings):
    model_config = SettingsConfigDict(env_prefix="BILLING_")
    service_name: str = "billing"
    http_port: int = 8105
    public_url: str = Field("", description="Where customers read invoices "
                            "(`<url>/invoices/{id}`). Empty: this service's own address.")

    def resolved_public_url(self) -> str:
        return (self.public_url or f"http://{self.http_host}:{self.http_port}").rstrip("/")
