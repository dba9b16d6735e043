from datetime import timedelta

from pydantic import Field
from pydantic_settings import SettingsConfigDict

from seats.adapters.importfiles import MAX_IMPORT_ROWS, MAX_UPLOAD_BYTES, MAX_XLSX_UNCOMPRESSED_BYTES
from seats.adapters.signing import EntitlementSigner, key_problems
from seats.domain.leases import LeasePolicy
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

    entitlement_keys: str = Field(
        "",
        description="Keys that sign entitlements and licence files (issue 14): comma-separated "
        "`kid:base64url(32-byte Ed25519 private seed)`. The FIRST signs; all are published at "
        "`/.well-known/jwks.json`. To rotate, put a new key first and keep the old one listed until "
        "what it signed has expired (node-locked licence files: their term end plus 10 days). Empty "
        "on a test clock: a public development key (kid `dev`); off a test clock the service "
        "refuses to start with it.",
    )
    offline_allowance_days: int = Field(
        7,
        ge=1,
        le=90,
        description="How long a named user's (or free tier's) signed entitlement may be used "
        "offline, never past the term end (issue 14).",
    )

    def signer(self) -> EntitlementSigner:
        return EntitlementSigner.from_setting(self.entitlement_keys, timedelta(days=self.offline_allowance_days))

    lease_revive_seconds: int = Field(
        3600,
        ge=0,
        le=86400,
        description="After a floating lease's missed heartbeat, how long its holder's heartbeat "
        "revives it if a seat is still free (a laptop that slept); 0: never (issue 14, R26).",
    )
    lease_borrow_max_days: int = Field(
        7,
        ge=0,
        le=90,
        description="How long a floating seat may be borrowed for offline work, never past the "
        "term end; 0: no borrowing (issue 14, R26).",
    )
    device_resets_per_30_days: int = Field(
        3,
        ge=0,
        le=1000,
        description="How many times one person may deactivate their own node-locked key (a device "
        "reset) in 30 days; past it 429 with Retry-After. The administrator is not limited (R27).",
    )

    def lease_policy(self) -> LeasePolicy:
        return LeasePolicy(
            revive=timedelta(seconds=self.lease_revive_seconds), borrow_max=timedelta(days=self.lease_borrow_max_days)
        )

    def invitations(self) -> Invitations:
        return Invitations(self.resolved_portal_url(), self.invitation_emails_per_account_per_hour)

    def production_problems(self) -> list[str]:
        return (
            super().production_problems()
            + self.portal_url_problems("invitation links (`<portal>/people/registration?email=...`)")
            + key_problems(self.entitlement_keys)
        )
