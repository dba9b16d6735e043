"""The portal's unit of work: one transaction, holding the session repository."""

from __future__ import annotations

from portal.store.sessions import SessionRepository
from servicekit.store.uow import UnitOfWork, repository


class PortalUnitOfWork(UnitOfWork):
    sessions = repository(SessionRepository)
