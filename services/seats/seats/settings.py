from pydantic import Field
from pydantic_settings import SettingsConfigDict

from servicekit.settings import ServiceSettings


class SeatsSettings(ServiceSettings):
    model_config = SettingsConfigDict(env_prefix="SEATS_")
    service_name: str = "seats"
    http_port: int = 8103
    identity_public_url: str = Field("http://127.0.0.1:8101", description="Where invited users "
                                     "register (`<url>/register?email=...`).")
    import_chunk_size: int = Field(500, description="Rows a bulk import adds per transaction; "
                                   "progress is reported between chunks (R23).")
