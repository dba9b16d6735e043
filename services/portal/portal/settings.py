from pydantic import Field
from pydantic_settings import SettingsConfigDict

from servicekit.settings import ServiceSettings, own_address


class PortalSettings(ServiceSettings):
    model_config = SettingsConfigDict(env_prefix="PORTAL_")
    service_name: str = "portal"
    http_port: int = 8100
    identity_url: str = Field("http://127.0.0.1:8101", description="Identity's HTTP API, as the portal reaches it.")
    subscriptions_url: str = Field(
        "http://127.0.0.1:8102", description="Subscriptions' HTTP API, as the portal reaches it."
    )
    seats_url: str = Field("http://127.0.0.1:8103", description="Seats' HTTP API, as the portal reaches it.")
    notifications_url: str = Field(
        "http://127.0.0.1:8104", description="Notifications' HTTP API, as the portal reaches it."
    )
    billing_url: str = Field("http://127.0.0.1:8105", description="Billing's HTTP API, as the portal reaches it.")
    upstream_timeout_seconds: float = Field(
        10.0, gt=0, description="How long the portal waits for another service's answer."
    )
    cookie_secure: bool = Field(
        True,
        description="Send the session cookie only over HTTPS (`Secure`). Off only where the "
        "portal is reached over plain http on loopback (`make run`, the tests).",
    )
    session_ttl_seconds: int = Field(
        8 * 3600,
        ge=300,
        le=7 * 24 * 3600,
        description="How long a portal session lives without signing in again; a signed-in "
        "session also ends when its identity token does (`TOKEN_TTL_SECONDS`).",
    )

    def resolved_public_url(self) -> str:
        """The portal's own address (`PORTAL_URL`, which every service's links share)."""
        return self.portal_url.rstrip("/") or own_address(self.http_host, self.http_port)

    def upstream_urls(self) -> dict[str, str]:
        """The owning services' base URLs, by name."""
        return {
            "identity": self.identity_url.rstrip("/"),
            "subscriptions": self.subscriptions_url.rstrip("/"),
            "seats": self.seats_url.rstrip("/"),
            "notifications": self.notifications_url.rstrip("/"),
            "billing": self.billing_url.rstrip("/"),
        }

    def production_problems(self) -> list[str]:
        problems = super().production_problems() + self.portal_url_problems("the portal's pages")
        if not self.cookie_secure and self.portal_url.startswith("https://"):
            problems.append("PORTAL_COOKIE_SECURE is off behind https: the session cookie would travel in clear text.")
        return problems
