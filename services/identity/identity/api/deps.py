"""What identity's routes need besides the kit's dependencies (`servicekit.http.deps`): where
mailed links lead, how tokens are signed, the sign-in limits (which `app.build` puts on
`app.state`), the caller's address, and a caller whose session is still open."""

from __future__ import annotations

from typing import Annotated

from fastapi import Depends, Request

from identity.handlers import sessions
from identity.handlers.limits import SignInLimits
from identity.handlers.sessions import Issuer
from servicekit.http.auth import Caller
from servicekit.http.deps import CurrentCaller, from_app_state
from servicekit.runtime import Runtime


async def client_address(request: Request) -> str:
    """Who is calling, for the per-client limits: the connection's peer, or the address a
    trusted proxy names (uvicorn's `--forwarded-allow-ips` / `FORWARDED_ALLOW_IPS` decides
    whose `X-Forwarded-For` is believed; by default only 127.0.0.1's)."""
    return request.client.host if request.client else "unknown"


async def open_session(caller: CurrentCaller, runtime: Runtime) -> Caller:
    """A valid token whose session has not signed out (identity checks what others cannot)."""
    async with runtime.uow() as uow:
        await sessions.ensure_session_open(caller, uow)
    return caller


PortalUrlDep = Annotated[str, Depends(from_app_state("portal_url"))]
"""Links in e-mails open the portal's pages (verification, invitation, password reset): the
configured `PORTAL_URL`, never the request's Host header (which the caller chooses: a forged
one would mail a live token to the forger's host)."""
IssuerDep = Annotated[Issuer, Depends(from_app_state("issuer"))]
"""Signs identity's access tokens: the shared secret and how long a token lives."""
SignInLimitsDep = Annotated[SignInLimits, Depends(from_app_state("sign_in_limits"))]
"""Failed sign-ins allowed per client address and across the service (R1)."""
ClientAddress = Annotated[str, Depends(client_address)]
OpenSessionCaller = Annotated[Caller, Depends(open_session)]
"""The signed-in caller (401 without a valid token), refused 401 too once their session signed out."""
