"""Product clients (issue 14): an operator registers, rotates and revokes them; a product's
backend trades its credentials for a product token (OAuth 2.0 client credentials, RFC 6749 4.4).

Failed token requests are counted (`servicekit.store.ratelimit`) like failed sign-ins:

- per client address: `FAILURES_PER_ADDRESS` in 15 minutes, whatever client ids it tries,
  then 429 before any secret is checked;
- per client id: past `FAILURES_PER_CLIENT_ID` in 15 minutes, the addresses that have been
  failing for that id are refused 429 before any check; the product's own backend, which
  has not been failing, still gets its tokens (a guesser cannot lock a product out).
"""

from __future__ import annotations

import hashlib
import uuid
from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy.ext.asyncio import AsyncConnection

from contracts.errors import not_found
from identity.domain import product_clients
from identity.domain.product_clients import ProductClient
from identity.handlers.sessions import Issuer
from identity.store.uow import IdentityUnitOfWork
from servicekit.http.auth import issue_product_token, product_session_id
from servicekit.http.pagination import PageRequest
from servicekit.store.ratelimit import RateLimit

WINDOW = timedelta(minutes=15)
FAILURES_PER_ADDRESS = 20
FAILURES_PER_CLIENT_ID = 10


class InvalidClient(Exception):
    """RFC 6749 5.2 `invalid_client`: an unknown client, a wrong secret or a revoked client,
    answered alike."""


def _key(*parts: str) -> str:
    return hashlib.sha256("\n".join(parts).encode()).hexdigest()[:40]


@dataclass(frozen=True)
class TokenGrantLimits:
    per_address: RateLimit
    per_client_id: RateLimit
    per_client_id_and_address: RateLimit

    @classmethod
    def default(cls) -> TokenGrantLimits:
        return cls(
            RateLimit(
                "token_grant_failures_per_address",
                FAILURES_PER_ADDRESS,
                WINDOW,
                "Too many failed token requests from your address.",
            ),
            RateLimit(
                "token_grant_failures_per_client_id",
                FAILURES_PER_CLIENT_ID,
                WINDOW,
                "Too many failed token requests for this client.",
            ),
            RateLimit(  # only read as "has this address failed for this client id?"
                "token_grant_failures_per_client_id_and_address",
                FAILURES_PER_CLIENT_ID,
                WINDOW,
                "Too many failed token requests for this client.",
            ),
        )

    async def refuse_if_exhausted(self, conn: AsyncConnection, client_id: str, address: str, now: datetime) -> None:
        await self.per_address.check(conn, _key(address), now)
        if await self.per_client_id_and_address.used(conn, _key(client_id, address), now) > 0:
            await self.per_client_id.check(conn, _key(client_id), now)

    async def record_failure(self, conn: AsyncConnection, client_id: str, address: str, now: datetime) -> None:
        await self.per_address.record(conn, _key(address), now)
        await self.per_client_id.record(conn, _key(client_id), now)
        await self.per_client_id_and_address.record(conn, _key(client_id, address), now)


@dataclass(frozen=True)
class TokenRequest:
    client_id: str
    client_secret: str
    address: str  # the caller's (`request.client.host`)


async def grant(request: TokenRequest, limits: TokenGrantLimits, issuer: Issuer, uow: IdentityUnitOfWork) -> str:
    """A product token for the client's product, living `TOKEN_TTL_SECONDS`. One hash and one
    read on success; a failure is committed (it counts) before the refusal."""
    conn, now = uow.conn, uow.now()
    await limits.refuse_if_exhausted(conn, request.client_id, request.address, now)
    client = await uow.product_clients.get(request.client_id)
    if client is None:
        product_clients.unknown_client_accepts(request.client_secret)
    elif client.accepts(request.client_secret, now):
        return issue_product_token(issuer.secret, client.client_id, client.product, now, issuer.ttl)
    await limits.record_failure(conn, request.client_id, request.address, now)
    await uow.commit()
    raise InvalidClient()


async def register(product: str, name: str, uow: IdentityUnitOfWork) -> tuple[ProductClient, str]:
    """A new client of `product` and its secret (shown once, never stored)."""
    secret = product_clients.new_secret()
    client = product_clients.register(str(uuid.uuid4()), product, name, secret, uow.now())
    await uow.product_clients.save(client)
    return client, secret


async def rotate(client_id: str, previous_valid: timedelta, uow: IdentityUnitOfWork) -> tuple[ProductClient, str]:
    """A new secret; the current one keeps working `previous_valid`."""
    client = await _get(client_id, uow)
    secret = product_clients.new_secret()
    client.rotate(product_clients.hash_secret(secret), uow.now(), previous_valid)
    await uow.product_clients.save(client)
    return client, secret


async def revoke(client_id: str, uow: IdentityUnitOfWork) -> ProductClient:
    """No new token; every token issued is refused: identity records the client's session as
    ended (its own check), and `identity.signed_out` tells every other service."""
    client = await _get(client_id, uow)
    ended = client.revoke(uow.now(), product_session_id(client.client_id))
    await uow.product_clients.save(client)
    if ended is not None:
        await uow.sessions.revoke(ended.session_id, client.client_id, ended.signed_out_at)
        await uow.publish(ended)
    return client


async def listed(page: PageRequest, product: str | None, uow: IdentityUnitOfWork) -> list[ProductClient]:
    return await uow.product_clients.page(page, product)


async def _get(client_id: str, uow: IdentityUnitOfWork) -> ProductClient:
    client = await uow.product_clients.get(client_id, lock=True)
    if client is None:
        raise not_found("product client", client_id)
    return client
