"""The seats service's unit of work: one transaction, and the repositories of its aggregates
on that transaction's connection (`uow.pools.get(...)`)."""

from __future__ import annotations

from seats.store.access import AccessRepository
from seats.store.devices import KeyRepository
from seats.store.imports import ImportRepository
from seats.store.leases import LeaseRepository
from seats.store.pools import PoolRepository
from seats.store.users import SeatUserRepository
from servicekit.store.uow import UnitOfWork, repository


class SeatsUnitOfWork(UnitOfWork):
    pools = repository(PoolRepository)
    users = repository(SeatUserRepository)
    imports = repository(ImportRepository)
    leases = repository(LeaseRepository)
    keys = repository(KeyRepository)
    access = repository(AccessRepository)
