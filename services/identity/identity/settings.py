from pydantic import Field
from pydantic_settings import SettingsConfigDict

from servicekit.settings import ServiceSettings


class IdentitySettings(ServiceSettings):
    model_config = SettingsConfigDict(env_prefix="IDENTITY_")
    service_name: str = "identity"
    http_port: int = 8101
    public_url: str = Field("", description="Where people reach identity: the base of verification "
                            "links and invitations. Empty: the address the request came to.")
