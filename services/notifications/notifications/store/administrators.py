"""Who administers each subscription or account, and who ever did: what the reading rule
(domain.access) and the consistency checks (domain.consistency) are given."""

from __future__ import annotations

from sqlalchemy import insert, select, update
from sqlalchemy.ext.asyncio import AsyncConnection

from notifications.domain.access import AdministratorNamed
from notifications.domain.consistency import KnownSubscription
from notifications.store.tables import administrator_history, administrators


class AdministratorRepository:
    def __init__(self, conn: AsyncConnection) -> None:
        self._conn = conn

    async def note(self, named: AdministratorNamed) -> None:
        """Keeps the latest by event time: an older event replayed late changes nothing. The
        row is locked while compared (PostgreSQL `FOR UPDATE`): events of two topics naming
        one subject's administrator may be applied at once by two replicas."""
        found = (
            await self._conn.execute(
                select(administrators.c.as_of).where(administrators.c.subject_id == named.subject_id).with_for_update()
            )
        ).first()
        values = dict(account_id=named.account_id, person_id=named.person_id, as_of=named.at)
        if found is None:
            await self._conn.execute(insert(administrators).values(subject_id=named.subject_id, **values))
        elif found.as_of <= named.at:
            await self._conn.execute(
                update(administrators).where(administrators.c.subject_id == named.subject_id).values(**values)
            )
        await self._remember(named)

    async def _remember(self, named: AdministratorNamed) -> None:
        """Adds them to the subject's history; an address learnt later fills one not known."""
        past = (
            await self._conn.execute(
                select(administrator_history.c.email).where(
                    administrator_history.c.subject_id == named.subject_id,
                    administrator_history.c.person_id == named.person_id,
                )
            )
        ).first()
        if past is None:
            await self._conn.execute(
                insert(administrator_history).values(
                    subject_id=named.subject_id, person_id=named.person_id, email=named.email, since=named.at
                )
            )
        elif past.email is None and named.email:
            await self._conn.execute(
                update(administrator_history)
                .where(
                    administrator_history.c.subject_id == named.subject_id,
                    administrator_history.c.person_id == named.person_id,
                )
                .values(email=named.email)
            )

    async def known_subscriptions(self, subscription_ids: set[str]) -> dict[str, KnownSubscription]:
        """What earlier events said of these subscriptions, for those notifications knows."""
        if not subscription_ids:
            return {}
        ids = sorted(subscription_ids)
        current = {
            r.subject_id: r
            for r in await self._conn.execute(select(administrators).where(administrators.c.subject_id.in_(ids)))
        }
        history: dict[str, dict[str, str | None]] = {}
        for r in await self._conn.execute(
            select(administrator_history).where(administrator_history.c.subject_id.in_(sorted(current)))
        ):
            history.setdefault(r.subject_id, {})[r.person_id] = r.email
        return {
            sid: KnownSubscription(sid, r.account_id, r.person_id, history.get(sid, {})) for sid, r in current.items()
        }
