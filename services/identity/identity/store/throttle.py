"""Failed sign-ins per e-mail (R1): loading and saving `domain.throttle.SignInThrottle`."""

from __future__ import annotations

from identity.domain.throttle import SignInThrottle
from identity.store.rows import Rows
from identity.store.tables import sign_in_throttles


class ThrottleRepository(Rows):
    async def get(self, email: str, lock: bool = False) -> SignInThrottle:
        """The e-mail's throttle; a fresh one (no failures) if it never failed."""
        row = await self._one(sign_in_throttles, sign_in_throttles.c.email == email, lock=lock)
        return SignInThrottle(**row._mapping) if row else SignInThrottle(email)

    async def save(self, throttle: SignInThrottle) -> None:
        await self._save(sign_in_throttles, "email", throttle)
