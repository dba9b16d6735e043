from pydantic_settings import SettingsConfigDict

from servicekit.settings import ServiceSettings


class NotificationsSettings(ServiceSettings):
    model_config = SettingsConfigDict(env_prefix="NOTIFICATIONS_")
    service_name: str = "notifications"
    http_port: int = 8104
    smtp_host: str = "127.0.0.1"
    smtp_port: int = 2525
    mail_from: str = "Entitle <no-reply@entitle.local>"
    # A temporarily refused e-mail is tried again after 0.4 s, 0.8 s, … at most every 5 minutes.
    retry_first_seconds: float = 0.4
    retry_longest_seconds: float = 300.0
