"""HTTP routes of the identity service."""
from __future__ import annotations

from fastapi import APIRouter

from identity.api import accounts, ops, registration, sessions
from identity.settings import IdentitySettings
from servicekit.runtime import ServiceRuntime


def routes(runtime: ServiceRuntime, settings: IdentitySettings) -> list[APIRouter]:
    return [registration.routes(runtime, settings), sessions.routes(runtime, settings),
            accounts.routes(runtime, settings), ops.routes(runtime)]
