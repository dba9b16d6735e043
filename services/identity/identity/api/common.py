"""What the identity routes share: public links, signed-out sessions."""
from __future__ import annotations

from fastapi import Depends, Request

from identity.handlers import sessions
from identity.settings import IdentitySettings
from servicekit.auth import Caller
from servicekit.runtime import ServiceRuntime


def base_url(settings: IdentitySettings, request: Request) -> str:
    """Links in e-mails point here: the configured public address, else the one asked."""
    return (settings.public_url or str(request.base_url)).rstrip("/")


def session_dependency(runtime: ServiceRuntime):
    """A valid token whose session has not signed out (identity checks what others cannot)."""
    async def open_session(caller: Caller = runtime.authenticated) -> Caller:
        async with runtime.uow() as uow:
            await sessions.ensure_session_open(caller, uow)
        return caller
    return Depends(open_session)
