"""Signed entitlements (issue 14): the public keys that verify them (`/.well-known/jwks.json`)
and node-locked licence files bound to a device fingerprint (`POST /licence-files`, R27)."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from fastapi import APIRouter, Request, Response
from pydantic import BaseModel, Field

from seats.api.deps import SignerDep
from seats.api.schemas import command_answer
from seats.handlers import licencefiles
from seats.store.uow import SeatsUnitOfWork
from servicekit.http.deps import Commands, CurrentCaller
from servicekit.http.fields import Line

KEY_PATTERN = r"^[0-9A-Fa-f]{4}-[0-9A-Fa-f]{4}-[0-9A-Fa-f]{4}-[0-9A-Fa-f]{4}$"
JWKS_MAX_AGE = 300  # a product refreshes its cached keys this often at most; rotations keep old keys far longer


class Jwk(BaseModel):
    kty: str
    crv: str
    x: str = Field(description="The Ed25519 public key, base64url (RFC 8037).")
    kid: str
    use: str
    alg: str


class Jwks(BaseModel):
    keys: list[Jwk]


class LicenceFileRequest(BaseModel):
    key: str = Field(pattern=KEY_PATTERN, description="The activation key, XXXX-XXXX-XXXX-XXXX.")
    fingerprint: Line = Field(
        min_length=8, max_length=200, description="The device's fingerprint, as the product computes it; one line."
    )
    device_name: Line = Field("", max_length=100, description="What the administrator sees; one line.")


class LicenceFileView(BaseModel):
    licence_file: str = Field(description="The file to save on the device: the entitlement, armoured, 64 a line.")
    entitlement: str = Field(description="The same entitlement, a compact JWS (EdDSA).")
    key_id: str
    device: str = Field(description="The fingerprint the file is bound to.")
    product: str
    tier: str | None
    licence_type: str | None
    subscription_id: str | None
    modules: list[str]
    add_ons: list[str]
    limits: dict[str, int]
    issued_at: datetime
    not_after: datetime = Field(
        description="The term end plus the 10 days to renew (R48); earlier when a period billing "
        "suspended for an overdue invoice starts before that (issue 15)."
    )

    @classmethod
    def of(cls, f: licencefiles.LicenceFile) -> LicenceFileView:
        c = f.claims
        return cls(
            licence_file=f.text,
            entitlement=f.entitlement,
            key_id=c["key_id"],
            device=c["device"],
            product=c["product"],
            tier=c["tier"],
            licence_type=c["licence_type"],
            subscription_id=c["subscription_id"],
            modules=c["modules"],
            add_ons=c["add_ons"],
            limits=c["limits"],
            issued_at=datetime.fromtimestamp(c["iat"], f.not_after.tzinfo),
            not_after=f.not_after,
        )


router = APIRouter(tags=["entitlements"])


@router.get(
    "/.well-known/jwks.json",
    response_model=Jwks,
    summary="The public keys that verify entitlements and licence files (JWKS, RFC 7517)",
    description="Who may call: anyone, without a token: public keys only. Every key that may have "
    "signed an entitlement still in force is listed; pick the one named by the entitlement's `kid`.",
)
async def jwks(signer: SignerDep, response: Response) -> Any:
    response.headers["Cache-Control"] = f"public, max-age={JWKS_MAX_AGE}"
    return signer.jwks()


@router.post(
    "/licence-files",
    response_model=command_answer(LicenceFileView),
    summary="A node-locked licence file: the key activated on this device's fingerprint (R27)",
    description="Who may call: a user assigned to the key's subscription (or, to get the file again, "
    "its administrator). Activates the key on the fingerprint if it is free; if it is already active "
    "on this same fingerprint, the file is issued again. Active on another device: 409 `key_in_use` "
    "(deactivate it there first). To anyone else the key does not exist (404). The product verifies "
    "the file offline with `/.well-known/jwks.json` until `not_after`, and a deactivated or revoked "
    "key is refused at its next online check (`GET /access?device_id=<fingerprint>`). While billing "
    "suspends the subscription's term for an overdue invoice: 403 `payment_overdue`, and the online "
    "check answers `payment_overdue` (issue 15); the key stays active for when it is paid.",
)
async def licence_file(
    body: LicenceFileRequest, request: Request, caller: CurrentCaller, commands: Commands, signer: SignerDep
) -> Any:
    async def act(uow: SeatsUnitOfWork) -> LicenceFileView:
        return LicenceFileView.of(
            await licencefiles.issue(body.key, body.fingerprint, body.device_name, caller, signer, uow)
        )

    return await commands.run(request, caller, body, act)
