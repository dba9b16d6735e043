from typing import Literal

from pydantic import Field, SecretStr
from pydantic_settings import SettingsConfigDict

from servicekit.settings import ServiceSettings


class NotificationsSettings(ServiceSettings):
    model_config = SettingsConfigDict(env_prefix="NOTIFICATIONS_")
    service_name: str = "notifications"
    http_port: int = 8104
    smtp_host: str = Field("127.0.0.1", description="The SMTP server that sends every e-mail.")
    smtp_port: int = Field(2525, description="Its port (the devstack's SMTP sink listens on 2525).")
    smtp_security: Literal["none", "starttls", "tls"] = Field(
        "none",
        description="none: plain SMTP (a local relay, Mailpit); starttls: upgrade on "
        "connect (port 587); tls: TLS from the first byte (port 465).",
    )
    smtp_username: str = Field("", description="Log in with this user; empty: no login.")
    smtp_password: SecretStr = Field(SecretStr(""), description="The SMTP password (never logged).")
    mail_from: str = Field("Entitle <no-reply@entitle.local>", description="The From header.")
    retry_first_seconds: float = Field(
        0.4, description="A temporarily refused e-mail is tried again after this, then twice as long each time..."
    )
    retry_longest_seconds: float = Field(300.0, description="...but never waits longer than this.")
    invoice_pdf_hold_seconds: float = Field(
        1800.0,
        gt=0,
        le=7 * 24 * 3600,
        description="An invoice e-mail waits this long (service time) for its PDF from billing; then it "
        "goes without the attachment, with the link to download it.",
    )
