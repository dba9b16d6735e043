"""Product clients (issue 14): operators register, list, rotate and revoke them (`/ops`); a
product's backend trades its client id and secret for a product token (`POST /oauth/token`,
OAuth 2.0 client credentials, RFC 6749 4.4).

Registering and rotating do not go through the idempotent command runner: their answer holds
the secret, and the runner stores answers (an operator who lost the answer rotates again).
"""

from __future__ import annotations

import base64
import binascii
import re
from datetime import datetime, timedelta
from typing import Annotated, Any
from urllib.parse import unquote_plus

from fastapi import APIRouter, Depends, Form, Query, Request
from fastapi.responses import JSONResponse
from pydantic import BaseModel, Field

from identity.api.deps import ClientAddress, IssuerDep
from identity.api.schemas import ANYONE, ID_PATTERN, OPERATOR, CommandAnswer, Id
from identity.domain.product_clients import (
    DEFAULT_PREVIOUS_VALID,
    LONGEST_PREVIOUS_VALID,
    MAX_SECRET_LENGTH,
    PRODUCT_CODE_PATTERN,
    ProductClient,
)
from identity.handlers import product_clients
from identity.handlers.product_clients import InvalidClient, TokenGrantLimits, TokenRequest
from identity.store.uow import IdentityUnitOfWork
from servicekit.http.deps import REQUIRES_OPERATOR, Commands, from_app_state
from servicekit.http.fields import Line
from servicekit.http.pagination import PageRequest, page_request, paged
from servicekit.runtime import Runtime

router = APIRouter(prefix="/ops", tags=["operations"], dependencies=[REQUIRES_OPERATOR])
oauth_router = APIRouter(tags=["identity"])

NO_STORE = {"Cache-Control": "no-store", "Pragma": "no-cache"}  # RFC 6749 5.1: nothing caches a secret
GRANT_TYPE = "client_credentials"
CLIENT_ID = re.compile(ID_PATTERN)


class ProductClientRequest(BaseModel):
    product: str = Field(
        pattern=PRODUCT_CODE_PATTERN, description="The product code (the catalogue's) the client may ask about."
    )
    name: Line = Field(min_length=1, max_length=200, description="Who the client is, e.g. `CAD desktop backend`.")


class RotationRequest(BaseModel):
    previous_valid_seconds: int = Field(
        int(DEFAULT_PREVIOUS_VALID.total_seconds()),
        ge=0,
        le=int(LONGEST_PREVIOUS_VALID.total_seconds()),
        description="How long the current secret keeps working beside the new one (0: it stops at once).",
    )


class ProductClientView(BaseModel):
    client_id: str
    product: str
    name: str
    created_at: datetime
    rotated_at: datetime | None = None
    previous_secret_valid_until: datetime | None = Field(
        None, description="While a rotation's previous secret still works."
    )
    revoked_at: datetime | None = None

    @classmethod
    def of(cls, client: ProductClient) -> ProductClientView:
        return cls(
            client_id=client.client_id,
            product=client.product,
            name=client.name,
            created_at=client.created_at,
            rotated_at=client.rotated_at,
            previous_secret_valid_until=client.previous_valid_until,
            revoked_at=client.revoked_at,
        )


class ProductClientWithSecret(ProductClientView):
    client_secret: str = Field(description="Shown this once: identity keeps only its hash.")


class ProductClientAnswer(ProductClientView, CommandAnswer):
    pass


class ProductToken(BaseModel):
    access_token: str = Field(description="Send it as `Authorization: Bearer <token>` to the access API.")
    token_type: str = Field("Bearer", description="Always `Bearer`.")
    expires_in: int = Field(description="Seconds the token stays valid (`TOKEN_TTL_SECONDS`).")


@router.post(
    "/product-clients",
    response_model=ProductClientWithSecret,
    status_code=201,
    summary="Register a product client (OAuth 2.0 client credentials)",
    description=f"{OPERATOR} The client may ask the access API about this one product. Its secret is in "
    "this answer only.",
)
async def register(body: ProductClientRequest, runtime: Runtime) -> JSONResponse:
    async with runtime.uow() as uow:
        client, secret = await product_clients.register(body.product, body.name, uow)
        await uow.commit()
    shown = ProductClientWithSecret(**ProductClientView.of(client).model_dump(), client_secret=secret)
    return JSONResponse(shown.model_dump(mode="json"), status_code=201, headers=NO_STORE)


@router.get(
    "/product-clients",
    response_model=list[ProductClientView],
    summary="Product clients, revoked ones too (never a secret)",
    description=f'{OPERATOR} Oldest first, a page at a time (see `Link: rel="next"`).',
)
async def list_clients(
    request: Request,
    page: Annotated[PageRequest, Depends(page_request)],
    runtime: Runtime,
    product: Annotated[str | None, Query(pattern=PRODUCT_CODE_PATTERN, description="Only this product's.")] = None,
) -> Any:
    async with runtime.uow() as uow:
        found = await product_clients.listed(page, product, uow)
    return paged(request, page, found, sort_key=lambda c: (c.created_at, c.client_id), item=ProductClientView.of)


@router.post(
    "/product-clients/{client_id}/secret",
    response_model=ProductClientWithSecret,
    summary="Rotate a product client's secret",
    description=f"{OPERATOR} A new secret, in this answer only; the current one keeps working "
    "`previous_valid_seconds` (default a day) so that the product can roll the new one out. A revoked "
    "client is refused 409.",
)
async def rotate(client_id: Id, runtime: Runtime, body: RotationRequest | None = None) -> JSONResponse:
    body = body or RotationRequest()
    async with runtime.uow() as uow:
        client, secret = await product_clients.rotate(client_id, timedelta(seconds=body.previous_valid_seconds), uow)
        await uow.commit()
    shown = ProductClientWithSecret(**ProductClientView.of(client).model_dump(), client_secret=secret)
    return JSONResponse(shown.model_dump(mode="json"), headers=NO_STORE)


@router.delete(
    "/product-clients/{client_id}",
    response_model=ProductClientAnswer,
    summary="Revoke a product client: no new token, its tokens refused everywhere",
    description=f"{OPERATOR} Its session ends (`identity.signed_out`), so every service refuses the "
    "tokens already issued. Revoking again changes nothing.",
)
async def revoke(client_id: Id, request: Request, commands: Commands) -> Any:
    async def act(uow: IdentityUnitOfWork) -> ProductClientView:
        return ProductClientView.of(await product_clients.revoke(client_id, uow))

    return await commands.run(request, None, None, act)


TokenGrantLimitsDep = Annotated[TokenGrantLimits, Depends(from_app_state("token_grant_limits"))]


def _oauth_error(status: int, error: str, description: str) -> JSONResponse:
    """RFC 6749 5.2's body (`error`, `error_description`), which is also the project's error body
    (`code`, `message`): an OAuth library and a client of the other routes both read it."""
    headers = dict(NO_STORE)
    if status == 401:  # RFC 6749 5.2: the scheme the client may authenticate with
        headers["WWW-Authenticate"] = 'Basic realm="entitle"'
    body = {"error": error, "error_description": description, "code": error, "message": description, "rule": None}
    return JSONResponse(body, status_code=status, headers=headers)


def _basic_credentials(authorization: str) -> tuple[str, str] | None:
    """RFC 6749 2.3.1: `Basic base64(urlencoded id ":" urlencoded secret)`; None if malformed."""
    scheme, _, encoded = authorization.partition(" ")
    if scheme.lower() != "basic" or len(encoded) > 4 * MAX_SECRET_LENGTH:
        return None
    try:
        decoded = base64.b64decode(encoded.strip(), validate=True).decode()
    except (binascii.Error, UnicodeDecodeError):
        return None
    client_id, colon, secret = decoded.partition(":")
    return (unquote_plus(client_id), unquote_plus(secret)) if colon else None


@oauth_router.post(
    "/oauth/token",
    response_model=ProductToken,
    responses={
        400: {"description": "`invalid_request` or `unsupported_grant_type` (RFC 6749 5.2)."},
        401: {"description": "`invalid_client`: an unknown client, a wrong secret or a revoked client."},
    },
    summary="A product token for a product client (OAuth 2.0 client credentials)",
    description=f"{ANYONE} RFC 6749 4.4: form-encoded `grant_type=client_credentials`, the client's "
    "credentials by HTTP Basic (preferred) or as `client_id` and `client_secret` form fields, never both. "
    "The token may ask the access API about the client's product only. Errors as RFC 6749 5.2: the body "
    "carries `error` and `error_description` (beside `code` and `message`, which repeat them). 429 with "
    "Retry-After: an address past 20 failures in 15 minutes, or one that has been failing for a client id "
    "past 10 failures for it.",
)
async def token(
    request: Request,
    runtime: Runtime,
    client: ClientAddress,
    issuer: IssuerDep,
    limits: TokenGrantLimitsDep,
    grant_type: Annotated[str | None, Form(description="`client_credentials`.")] = None,
    client_id: Annotated[str | None, Form(description="Unless sent by HTTP Basic.")] = None,
    client_secret: Annotated[str | None, Form(description="Unless sent by HTTP Basic.")] = None,
    scope: Annotated[str | None, Form(description="Ignored: a client's scope is its product.")] = None,
) -> JSONResponse:
    # Read here, not declared as a header parameter: it is the client's Basic credentials
    # (`Basic base64(client_id:client_secret)`), not the bearer token the other routes take.
    authorization = request.headers.get("authorization")
    if grant_type is None:
        return _oauth_error(400, "invalid_request", "Send grant_type=client_credentials, form-encoded.")
    if grant_type != GRANT_TYPE:
        return _oauth_error(400, "unsupported_grant_type", "Only grant_type=client_credentials is supported here.")
    if authorization is not None and (client_id is not None or client_secret is not None):
        return _oauth_error(400, "invalid_request", "Send the client's credentials one way: HTTP Basic or the form.")
    credentials = _basic_credentials(authorization) if authorization is not None else (client_id, client_secret)
    if credentials is None or not credentials[0] or not credentials[1]:
        return _oauth_error(401, "invalid_client", "Send the client id and secret (HTTP Basic or form).")
    presented_id, presented_secret = credentials
    assert presented_id is not None and presented_secret is not None
    if len(presented_id) > 64 or len(presented_secret) > MAX_SECRET_LENGTH or not CLIENT_ID.fullmatch(presented_id):
        return _oauth_error(401, "invalid_client", "Unknown client or wrong secret.")
    try:
        async with runtime.uow() as uow:
            issued = await product_clients.grant(
                TokenRequest(presented_id, presented_secret, client), limits, issuer, uow
            )
    except InvalidClient:
        return _oauth_error(401, "invalid_client", "Unknown client or wrong secret.")
    answer = ProductToken(access_token=issued, expires_in=int(issuer.ttl.total_seconds()))
    return JSONResponse(answer.model_dump(), headers=NO_STORE)
