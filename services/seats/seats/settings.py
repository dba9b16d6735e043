from pydantic import Field
from pydantic_settings import SettingsConfigDict

from seats.adapters.importfiles import MAX_IMPORT_ROWS, MAX_UPLOAD_BYTES, MAX_XLSX_UNCOMPRESSED_BYTES
from seats.handlers.users import DEFAULT_INVITATIONS_PER_HOUR, MAX_RECIPIENTS_PER_REQUEST, Invitations
from servicekit.settings import ServiceSettings, public_url_problems

TEST_STACK_IDENTITY = "http://127.0.0.1:8101"  # identity's port on `make run`


class SeatsSettings(ServiceSettings):
    model_config = SettingsConfigDict(env_prefix="SEATS_")
    service_name: str = "seats"
    http_port: int = 8103
    identity_public_url: str = Field(
        "",
        description="Identity as people reach it (`https://...`): "
        "invitation e-mails link to `<url>/people/registration?email=...`. "
        "Required outside a test clock (https unless the host is loopback). "
        f"Empty on a test stack: {TEST_STACK_IDENTITY}.",
    )
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
        return Invitations(
            self.identity_public_url.rstrip("/") or TEST_STACK_IDENTITY, self.invitation_emails_per_account_per_hour
        )

    def production_problems(self) -> list[str]:
        return super().production_problems() + public_url_problems(
            "IDENTITY_PUBLIC_URL", self.identity_public_url, "invitation links"
        )
