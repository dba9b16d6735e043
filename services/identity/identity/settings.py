from pydantic import Field
from pydantic_settings import SettingsConfigDict

from servicekit.settings import ServiceSettings, own_address, public_url_problems


class IdentitySettings(ServiceSettings):
    model_config = SettingsConfigDict(env_prefix="IDENTITY_")
    service_name: str = "identity"
    http_port: int = 8101
    public_url: str = Field(
        "",
        description="Where people reach identity (`https://...`): the base "
        "of verification links and invitations. Required outside a test clock "
        "(https unless the host is loopback). Empty on a test stack: "
        "`http://<HTTP_HOST>:<HTTP_PORT>`. Never taken from a request's Host header.",
    )
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

    def resolved_public_url(self) -> str:
        """The base of every link identity mails. Only configuration decides it: a request's
        Host header is the caller's to forge, and a link built from it would carry a live
        verification token to the forger's host."""
        return self.public_url.rstrip("/") or own_address(self.http_host, self.http_port)

    def production_problems(self) -> list[str]:
        return super().production_problems() + public_url_problems(
            "IDENTITY_PUBLIC_URL", self.public_url, "verification and invitation links (single-use tokens)"
        )
