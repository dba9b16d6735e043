from pydantic import Field
from pydantic_settings import SettingsConfigDict

from seats.adapters.importfiles import MAX_IMPORT_ROWS, MAX_UPLOAD_BYTES, MAX_XLSX_UNCOMPRESSED_BYTES
from seats.handlers.users import DEFAULT_INVITATIONS_PER_HOUR, MAX_RECIPIENTS_PER_REQUEST, Invitations
from servicekit.settings import ServiceSettings


class SeatsSettings(ServiceSettings):
    model_config = SettingsConfigDict(env_prefix="SEATS_")
    service_name: str = "seats"
    http_port: int = 8103
    import_chunk_size: int = Field(
        500, description="Rows a bulk import adds per transaction; progress is reported between chunks (R23)."
    )
    invitation_emails_per_account_per_hour: int = Field(
        DEFAULT_INVITATIONS_PER_HOUR,
        ge=1,
        description="Invitation e-mails (new users, resends, "
        "imports) one customer account may cause per hour. A command past it is refused (429, "
        "Retry-After); an import waits for the next hour and goes on. One request names at most "
        f"{MAX_RECIPIENTS_PER_REQUEST} recipients; an import holds at most {MAX_IMPORT_ROWS} rows, "
        f"{MAX_UPLOAD_BYTES // 2**20} MB uploaded, {MAX_XLSX_UNCOMPRESSED_BYTES // 2**20} MB unzipped.",
    )

    def invitations(self) -> Invitations:
        return Invitations(self.resolved_portal_url(), self.invitation_emails_per_account_per_hour)

    def production_problems(self) -> list[str]:
        return super().production_problems() + self.portal_url_problems(
            "invitation links (`<portal>/people/registration?email=...`)"
        )
