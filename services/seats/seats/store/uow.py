"""The seats service's unit of work: one transaction, and the repositories of its aggregates
on that transaction's connection (`uow.pools.get(...)`)."""

from __future__ import annotations

from seats.store.access import AccessRepository
from seats.store.devices import KeyRepository
from seats.store.fallbacks import FallbackRepository
from seats.store.imports import ImportRepository
from seats.store.kept_keys import KeptKeys
from seats.store.leases import LeaseRepository
from seats.store.licences import LicenceQueries
from seats.store.pools import PoolRepository
from seats.store.software import SoftwareQuery
from seats.store.suspensions import PaymentSuspensions
from seats.store.users import SeatUserRepository
from servicekit.store.uow import UnitOfWork, repository


class SeatsUnitOfWork(UnitOfWork):
    pools = repository(PoolRepository)
    users = repository(SeatUserRepository)
    imports = repository(ImportRepository)
    leases = repository(LeaseRepository)
    keys = repository(KeyRepository)
    kept_keys = repository(KeptKeys)  # node-locked keys kept for their user (R41)
    access = repository(AccessRepository)
    fallbacks = repository(FallbackRepository)  # what people keep after a trial or a seat (R43)
    licences = repository(LicenceQueries)  # read-only: the company-wide view (R39)
    software = repository(SoftwareQuery)  # read-only: what a person may use (R40)
    payment_suspensions = repository(PaymentSuspensions)  # billing's, for an overdue invoice (issue 15)
