"""What people keep after a trial fell back or their seat was revoked (R43, R10): one row per
person (by e-mail) and product, read by the access query when no seat is in force."""

from __future__ import annotations

from sqlalchemy import insert, literal, or_, select, update
from sqlalchemy.ext.asyncio import AsyncConnection

from seats.domain.entitlements import Fallback
from seats.store.tables import fallbacks, pools
from seats.store.tables import seat_users as users

_COLUMNS = ("email", "product", "fallback", "tier", "subscription_id", "recorded_at", "person_id")


class FallbackRepository:
    def __init__(self, conn: AsyncConnection) -> None:
        self._conn = conn

    async def record(self, fallback: Fallback) -> Fallback:
        """Keeps the better of this one and the one already kept (`Fallback.keeps`)."""
        where = (fallbacks.c.email == fallback.email, fallbacks.c.product == fallback.product)
        row = (await self._conn.execute(select(*(fallbacks.c[c] for c in _COLUMNS)).where(*where))).first()
        earlier = Fallback(*row) if row else None
        kept = fallback.keeps(earlier)
        values = {c: getattr(kept, c) for c in _COLUMNS}
        if earlier is None:
            await self._conn.execute(insert(fallbacks).values(**values))
        elif kept != earlier:
            await self._conn.execute(update(fallbacks).where(*where).values(**values))
        return kept

    async def of(self, product: str, *, user_id: str | None, email: str | None, about_asker: bool) -> list[Fallback]:
        """The fallbacks of this person (by person id, or e-mail) for `product`, with who may
        learn about them. By person id, the e-mails they were listed with count too: a user who
        registered after falling back is found."""
        if user_id:
            listed_as = select(users.c.email).where(users.c.person_id == user_id)
            who = or_(fallbacks.c.person_id == user_id, fallbacks.c.email.in_(listed_as))
        elif email:
            who = fallbacks.c.email == email
        else:
            return []
        rows = await self._conn.execute(
            select(
                *(fallbacks.c[c] for c in _COLUMNS),
                pools.c.account_id,
                pools.c.admin_person_id,
                literal(about_asker).label("about_asker"),
            )
            .select_from(fallbacks.outerjoin(pools, pools.c.subscription_id == fallbacks.c.subscription_id))
            .where(fallbacks.c.product == product, who)
        )
        return [
            Fallback(
                email=r.email,
                product=r.product,
                fallback=r.fallback,
                tier=r.tier,
                subscription_id=r.subscription_id,
                recorded_at=r.recorded_at,
                person_id=r.person_id,
                account_id=r.account_id or "",
                administrator_id=r.admin_person_id or "",
                about_the_asker=bool(r.about_asker),
            )
            for r in rows
        ]
