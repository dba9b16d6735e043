"""How often anyone may fail to sign in, and how much mail one address can be sent on request.

In handlers/ because the sign-in and registration flows count these in their own transaction
(a failure commits with its throttle); not domain/, since the counters live in the kit's table.

Besides the per-e-mail throttle (`domain.throttle`), failed sign-ins are counted
(`servicekit.store.ratelimit`, in the `rate_counters` table, so every replica counts together):

- per client address (`request.client.host`): `IDENTITY_SIGN_IN_FAILURES_PER_CLIENT` (20) in
  15 minutes, whatever e-mails it tries, so that spraying one guess at each of many
  addresses is slowed down as much as guessing at one. Behind a reverse proxy the client
  address is the proxy's unless uvicorn trusts it to name the caller
  (`FORWARDED_ALLOW_IPS` / `--forwarded-allow-ips`, 127.0.0.1 by default).
- across the service: `IDENTITY_SIGN_IN_FAILURES_PER_MINUTE` (300): guessing spread over
  many addresses is braked too; while the brake holds, every sign-in waits for the minute
  to end (a deliberate trade of availability for the passwords' safety).
- per e-mail and client: which clients have been failing for an e-mail, so that its block
  holds them back and not its owner.

Password-reset requests are counted per client address too (`PASSWORD_RESETS_PER_CLIENT`).

Identity also mails on requests nobody signed in for (a registration, a resend, a password reset). At most
`MAILS_PER_ADDRESS` such e-mails go to one address an hour; past that, the request answers
as usual and sends nothing, so repeated registrations cannot flood an owner's mailbox and
the answer still tells nothing about the address.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy.ext.asyncio import AsyncConnection

from identity.domain.throttle import FREE_FAILURES, WINDOW
from identity.settings import IdentitySettings
from servicekit.store.ratelimit import RateLimit

MAILS_PER_ADDRESS = 5
MAILS_PER_ADDRESS_WINDOW = timedelta(hours=1)
EVERYWHERE = "all"


def _key(*parts: str) -> str:
    """Counters are named by a hash: no e-mail address is stored in the kit's table."""
    return hashlib.sha256("\n".join(parts).encode()).hexdigest()[:40]


@dataclass(frozen=True)
class SignInLimits:
    per_client: RateLimit
    everywhere: RateLimit
    per_email_and_client: RateLimit

    @classmethod
    def of(cls, settings: IdentitySettings) -> SignInLimits:
        return cls(
            RateLimit(
                "sign_in_failures_per_client",
                settings.sign_in_failures_per_client,
                WINDOW,
                "Too many failed sign-ins from your address.",
                rule="R1",
            ),
            RateLimit(
                "sign_in_failures",
                settings.sign_in_failures_per_minute,
                timedelta(minutes=1),
                "Too many failed sign-ins on this service right now.",
                rule="R1",
            ),
            RateLimit(
                "sign_in_failures_per_email_and_client",
                FREE_FAILURES,
                WINDOW,
                "Too many failed sign-ins for this e-mail.",
                rule="R1",
            ),
        )

    async def refuse_if_exhausted(self, conn: AsyncConnection, client: str, now: datetime) -> None:
        """429 before any password is checked, for a client (or a service) that failed too often."""
        await self.everywhere.check(conn, EVERYWHERE, now)
        await self.per_client.check(conn, _key(client), now)

    async def client_has_failed(self, conn: AsyncConnection, email: str, client: str, now: datetime) -> bool:
        """Has this client failed for this e-mail within the last 15 to 30 minutes (this fixed
        window and the one before, so a failure just before a window starts still counts)?"""
        key = _key(email, client)
        return (
            await self.per_email_and_client.used(conn, key, now)
            + await self.per_email_and_client.used(conn, key, now - WINDOW)
        ) > 0

    async def record_failure(self, conn: AsyncConnection, email: str, client: str, now: datetime) -> None:
        await self.everywhere.record(conn, EVERYWHERE, now)
        await self.per_client.record(conn, _key(client), now)
        await self.per_email_and_client.record(conn, _key(email, client), now)


MAILS_TO_ADDRESS = RateLimit(
    "anonymous_mails_per_address", MAILS_PER_ADDRESS, MAILS_PER_ADDRESS_WINDOW, "Too many e-mails to this address."
)


async def may_mail(conn: AsyncConnection, email: str, now: datetime) -> bool:
    """Counts one more e-mail to `email` on an anonymous request; False (send nothing) past the
    hourly cap. Never refuses: a refusal would tell the caller the address is registered."""
    key = _key(email)
    if await MAILS_TO_ADDRESS.used(conn, key, now) >= MAILS_TO_ADDRESS.limit:
        return False
    await MAILS_TO_ADDRESS.record(conn, key, now)
    return True


PASSWORD_RESETS_PER_CLIENT = RateLimit(
    "password_resets_per_client",
    20,
    WINDOW,
    "Too many password-reset requests from your address.",
    rule="R1",
)


async def take_password_reset(conn: AsyncConnection, client: str, now: datetime) -> None:
    """One more password-reset request from `client`, or 429 past 20 in 15 minutes: like the
    per-client sign-in limit, it slows down mailing many addresses and tells nothing about any."""
    await PASSWORD_RESETS_PER_CLIENT.take(conn, _key(client), now)
