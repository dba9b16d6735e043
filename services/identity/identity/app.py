"""Wiring of the identity service."""
from __future__ import annotations

from identity import api
from identity.settings import IdentitySettings
from identity.store import metadata
from servicekit.runtime import ServiceRuntime


def build(settings: IdentitySettings | None = None, **overrides) -> ServiceRuntime:
    runtime = ServiceRuntime(settings or IdentitySettings(), metadata, **overrides)
    runtime.app = runtime.http_app(api.routes(runtime), title="Entitle identity",
                                   description="Accounts, people and access tokens.")
    return runtime
