"""Wiring of the identity service."""
from __future__ import annotations

from identity import api, redaction
from identity.handlers import accounts
from identity.handlers.registration import VERIFICATION_DEADLINE_JOB
from identity.settings import IdentitySettings
from identity.store import metadata
from servicekit.runtime import ServiceRuntime
from servicekit.app import service_app


def build(settings: IdentitySettings | None = None, **overrides) -> ServiceRuntime:
    settings = settings or IdentitySettings()
    runtime = ServiceRuntime(settings, metadata, **overrides)
    runtime.scheduler.on(VERIFICATION_DEADLINE_JOB, accounts.lapse_verification)
    runtime.app = service_app(runtime, *api.routes(runtime, settings), title="Entitle identity",
                                   description="People, accounts, contacts and access tokens.")
    redaction.install()
    return runtime
