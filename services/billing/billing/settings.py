from pydantic import Field, field_validator, model_validator
from pydantic_settings import SettingsConfigDict

from billing.domain.dunning import DunningPolicy, parse_days
from servicekit.settings import ServiceSettings


class BillingSettings(ServiceSettings):
    model_config = SettingsConfigDict(env_prefix="BILLING_")
    service_name: str = "billing"
    http_port: int = 8105
    sellers_file: str = Field(
        "",
        description="The vendor's legal entities that sell (TOML, `[sellers.<ID>]` tables: legal name, "
        "address, VAT number, registration, IBAN/BIC, payment terms and an optional note of them printed on "
        "invoices, which buyer countries each sells to); "
        "checked at start-up. Empty: the packaged demo sellers, refused off a test clock.",
    )
    reminder_days: str = Field(
        "3,10,20",
        description="Dunning (issue 15): the days after an invoice's due date on which a still unpaid invoice "
        "is reminded by e-mail, comma-separated, increasing, each 1 to 365, at most 10. Empty: no reminders.",
    )
    suspend_after_days: int = Field(
        30,
        description="Dunning: the days after the due date on which the subscriptions whose term a still unpaid "
        "invoice charged are suspended (never a period another invoice paid); 1 to 365, after the last reminder "
        "day, so that the last reminder can say when. 0: never suspend.",
    )

    @field_validator("reminder_days")
    @classmethod
    def _reminder_days_readable(cls, value: str) -> str:
        parse_days(value)  # raises ValueError with what is wrong
        return value

    @model_validator(mode="after")
    def _dunning_coherent(self) -> "BillingSettings":
        try:
            self.dunning_policy()
        except ValueError as error:
            raise ValueError(f"BILLING_SUSPEND_AFTER_DAYS and BILLING_REMINDER_DAYS: {error}") from error
        return self

    def dunning_policy(self) -> DunningPolicy:
        return DunningPolicy.of(parse_days(self.reminder_days), self.suspend_after_days)

    def production_problems(self) -> list[str]:
        problems = super().production_problems() + self.portal_url_problems("invoice links (`<portal>/invoices/{id}`)")
        if not self.sellers_file:
            problems.append(
                "BILLING_SELLERS_FILE is not set: invoices would name the packaged demo sellers "
                "(their VAT numbers and bank accounts are examples). Point it at your legal entities."
            )
        return problems
