from pydantic import Field
from pydantic_settings import SettingsConfigDict

from servicekit.settings import ServiceSettings


class BillingSettings(ServiceSettings):
    model_config = SettingsConfigDict(env_prefix="BILLING_")
    service_name: str = "billing"
    http_port: int = 8105
    sellers_file: str = Field(
        "",
        description="The vendor's legal entities that sell (TOML, `[sellers.<ID>]` tables: legal name, "
        "address, VAT number, registration, IBAN/BIC, payment terms, which buyer countries each sells to); "
        "checked at start-up. Empty: the packaged demo sellers, refused off a test clock.",
    )

    def production_problems(self) -> list[str]:
        problems = super().production_problems() + self.portal_url_problems("invoice links (`<portal>/invoices/{id}`)")
        if not self.sellers_file:
            problems.append(
                "BILLING_SELLERS_FILE is not set: invoices would name the packaged demo sellers "
                "(their VAT numbers and bank accounts are examples). Point it at your legal entities."
            )
        return problems
