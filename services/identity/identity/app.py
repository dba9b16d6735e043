"""Wiring of the identity service."""
from __future__ import annotations

from fastapi import Request
from fastapi.responses import JSONResponse

from contracts.errors import ErrorBody
from identity import api, redaction
from identity.domain.throttle import TooManySignInAttempts
from identity.handlers import accounts
from identity.handlers.registration import VERIFICATION_DEADLINE_JOB
from identity.settings import IdentitySettings
from identity.store import metadata
from servicekit.runtime import ServiceRuntime


def build(settings: IdentitySettings | None = None, **overrides) -> ServiceRuntime:
    settings = settings or IdentitySettings()
    runtime = ServiceRuntime(settings, metadata, **overrides)
    runtime.scheduler.on(VERIFICATION_DEADLINE_JOB, accounts.lapse_verification)
    runtime.app = runtime.http_app(*api.routes(runtime, settings), title="Entitle identity",
                                   description="People, accounts, contacts and access tokens.")
    runtime.app.add_exception_handler(TooManySignInAttempts, too_many_attempts)
    redaction.install()
    return runtime


async def too_many_attempts(_request: Request, error: TooManySignInAttempts) -> JSONResponse:
    body = ErrorBody(code=error.code, message=error.message, rule=error.rule).model_dump()
    return JSONResponse(body, status_code=429, headers={"Retry-After": str(error.retry_after_seconds)})
