from pydantic_settings import SettingsConfigDict

from servicekit.settings import ServiceSettings


class BillingSettings(ServiceSettings):
    model_config = SettingsConfigDict(env_prefix="BILLING_")
    service_name: str = "billing"
    http_port: int = 8105

    def production_problems(self) -> list[str]:
        return super().production_problems() + self.portal_url_problems("invoice links (`<portal>/invoices/{id}`)")
