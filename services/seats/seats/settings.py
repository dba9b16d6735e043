from pydantic_settings import SettingsConfigDict

from servicekit.settings import ServiceSettings


class SeatsSettings(ServiceSettings):
    model_config = SettingsConfigDict(env_prefix="SEATS_")
    service_name: str = "seats"
    http_port: int = 8103
    # Where invited users register (`<url>/register?email=...`); IDENTITY_PUBLIC_URL applies too.
    identity_public_url: str = "http://127.0.0.1:8101"
    # Rows a bulk import adds per transaction; progress is reported between chunks (R23).
    import_chunk_size: int = 500
