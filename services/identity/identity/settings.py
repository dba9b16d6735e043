from pydantic import Field
from pydantic_settings import SettingsConfigDict

from servicekit.settings import ServiceSettings


class IdentitySettings(ServiceSettings):
    model_config = SettingsConfigDict(env_prefix="IDENTITY_")
    service_name: str = "identity"
    http_port: int = 8101
    sign_in_failures_per_client: int = Field(
        20,
        ge=1,
        description="Failed sign-ins one client address "
        "may make in 15 minutes, whatever e-mails it tries; then it "
        "is answered 429 until the quarter of an hour ends.",
    )
    sign_in_failures_per_minute: int = Field(
        300,
        ge=1,
        description="Failed sign-ins the whole service "
        "accepts in a minute (a brake on guessing spread over many "
        "addresses); past it, every sign-in is answered 429 until "
        "the minute ends.",
    )

    def production_problems(self) -> list[str]:
        # Only configuration decides where links point: a request's Host header is the
        # caller's to forge, and a link built from it would carry a live token to their host.
        return super().production_problems() + self.portal_url_problems(
            "verification, invitation and password-reset links (single-use tokens)"
        )
