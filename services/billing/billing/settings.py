from pydantic_settings import SettingsConfigDict

from servicekit.settings import ServiceSettings


class BillingSettings(ServiceSettings):
    model_config = SettingsConfigDict(env_prefix="BILLING_")
    service_name: str = "billing"
    http_port: int = 8105
    # Where customers read invoices (`<public_url>/invoices/{id}`); this service itself by default.
    public_url: str = ""

    def resolved_public_url(self) -> str:
        return (self.public_url or f"http://{self.http_host}:{self.http_port}").rstrip("/")
