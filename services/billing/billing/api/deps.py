"""What billing's routes need besides the kit's dependencies: set on `app.state` by `app.build`."""

from __future__ import annotations

from typing import Annotated

from fastapi import Depends

from billing.handlers.invoices import Invoicing
from servicekit.http.deps import from_app_state

PortalUrl = Annotated[str, Depends(from_app_state("portal_url"))]
"""Where customers read invoices: the portal's `<PORTAL_URL>/invoices/{id}`."""

InvoicingDep = Annotated[Invoicing, Depends(from_app_state("invoicing"))]
"""Who sells and where invoices are read: what issuing a document needs (a credit note)."""
