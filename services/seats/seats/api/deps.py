"""What seats' routes need besides the kit's dependencies (`servicekit.http.deps`): the
service's settings, where invitation links lead and the import-file parser, which `app.build`
puts on `app.state`."""

from __future__ import annotations

from typing import Annotated

from fastapi import Depends, Request

from seats.adapters.importfiles import ImportParser
from seats.adapters.signing import EntitlementSigner
from seats.handlers.users import Invitations
from seats.settings import SeatsSettings
from servicekit.http.deps import from_app_state


async def _settings(request: Request) -> SeatsSettings:
    settings: SeatsSettings = request.app.state.runtime.settings
    return settings


SettingsDep = Annotated[SeatsSettings, Depends(_settings)]
InvitationsDep = Annotated[Invitations, Depends(from_app_state("invitations"))]
"""Where invitation links lead and how many an account may send an hour (R22)."""
ImportParserDep = Annotated[ImportParser, Depends(from_app_state("import_parser"))]
"""Parses uploads in a worker process (R23)."""
SignerDep = Annotated[EntitlementSigner, Depends(from_app_state("signer"))]
"""Signs entitlements and licence files; its keys are the JWKS (issue 14)."""
