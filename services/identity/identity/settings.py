from pydantic_settings import SettingsConfigDict

from servicekit.settings import ServiceSettings


class IdentitySettings(ServiceSettings):
    model_config = SettingsConfigDict(env_prefix="IDENTITY_")
    service_name: str = "identity"
    http_port: int = 8101
    # Where people reach identity (verification links, invitations); empty: the request's own address.
    public_url: str = ""
