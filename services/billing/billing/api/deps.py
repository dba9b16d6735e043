"""What billing's routes need besides the kit's dependencies: set on `app.state` by `app.build`."""

from __future__ import annotations

from typing import Annotated

from fastapi import Depends

from servicekit.http.deps import from_app_state

PublicUrl = Annotated[str, Depends(from_app_state("public_url"))]
"""Where customers read invoices (`<url>/invoices/{id}`): `BillingSettings.resolved_public_url`."""
