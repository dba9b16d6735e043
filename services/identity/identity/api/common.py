"""What the identity routes share: public links, client addresses, signed-out sessions."""
from __future__ import annotations

from typing import Annotated

from fastapi import Depends, Path, Request
from pydantic import BaseModel, Field

from identity.handlers import sessions
from identity.settings import IdentitySettings
from servicekit.http.auth import Caller
from servicekit.runtime import ServiceRuntime


def base_url(settings: IdentitySettings) -> str:
    """Links in e-mails point here: configured, never the request's Host header (which the
    caller chooses: a forged one would mail a live token to the forger's host)."""
    return settings.resolved_public_url()


def client_address(request: Request) -> str:
    """Who is calling, for the per-client limits: the connection's peer, or the address a
    trusted proxy names (uvicorn's `--forwarded-allow-ips` / `FORWARDED_ALLOW_IPS` decides
    whose `X-Forwarded-For` is believed; by default only 127.0.0.1's)."""
    return request.client.host if request.client else "unknown"


def session_dependency(runtime: ServiceRuntime):
    """A valid token whose session has not signed out (identity checks what others cannot)."""
    async def open_session(caller: Caller = runtime.authenticated) -> Caller:
        async with runtime.uow() as uow:
            await sessions.ensure_session_open(caller, uow)
        return caller
    return Depends(open_session)


# Ids are uuids: anything else (a line break smuggled in as %0A, a 10 kB string) is refused 422
# before it can reach a message or a log line.
ID_PATTERN = r"^[A-Za-z0-9_.:-]+$"
Id = Annotated[str, Path(min_length=1, max_length=64, pattern=ID_PATTERN)]


class CommandAnswer(BaseModel):
    """What every command answers besides its resource."""

    event_ids: list[str] = Field(default_factory=list, description="Ids of the events the command caused.")


ANYONE = "Anyone may call it: no token."
SIGNED_IN = "Any signed-in person (a bearer token from `POST /tokens`), for the account their token acts for."
ADMINISTRATOR = ("An administrator of the account (bearer token acting for it); others are refused "
                 "403, and an account the token does not act for answers 404.")
OPERATOR = "Operators only: `X-Operator-Token`."
