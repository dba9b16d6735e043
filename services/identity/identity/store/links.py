"""Verification and password-reset links (R1): loading and saving `domain.links.VerificationLink`
and `domain.resets.PasswordReset` (only the token's hash is stored), and the latest
verification link mailed, read back from the outbox."""

from __future__ import annotations

import json

from sqlalchemy import select, update

from contracts.identity import VerificationEmailRequested
from identity.domain.links import LinkState, VerificationLink
from identity.domain.resets import PasswordReset, ResetState
from identity.store.rows import Rows
from identity.store.tables import password_resets, verification_links
from servicekit.store.tables import outbox


class LinkRepository(Rows):
    async def get(self, token_hash: str) -> VerificationLink | None:
        row = await self._one(verification_links, verification_links.c.token_hash == token_hash)
        return VerificationLink(**{**row._mapping, "state": LinkState(row.state)}) if row else None

    async def save(self, link: VerificationLink) -> None:
        await self._save(verification_links, "token_hash", link)

    async def replace_pending(self, person_id: str) -> None:
        await self._conn.execute(
            update(verification_links)
            .where(verification_links.c.person_id == person_id, verification_links.c.state == LinkState.PENDING.value)
            .values(state=LinkState.REPLACED.value)
        )

    async def latest_url_sent(self, person_id: str) -> str | None:
        """The URL of the latest verification e-mail requested for the person, from the outbox
        (identity's own tables hold only hashes). For test stacks only."""
        body = (
            await self._conn.execute(
                select(outbox.c.body)
                .where(
                    outbox.c.event_type == VerificationEmailRequested.type,
                    outbox.c.key == person_id,
                )
                .order_by(outbox.c.seq.desc())
                .limit(1)
            )
        ).scalar()
        return json.loads(body)["data"]["verify_url"] if body else None


class ResetRepository(Rows):
    """Password-reset links (R1): only the token's hash is stored."""

    async def get(self, token_hash: str) -> PasswordReset | None:
        row = await self._one(password_resets, password_resets.c.token_hash == token_hash)
        return PasswordReset(**{**row._mapping, "state": ResetState(row.state)}) if row else None

    async def save(self, reset: PasswordReset) -> None:
        await self._save(password_resets, "token_hash", reset)

    async def replace_pending(self, person_id: str) -> None:
        await self._conn.execute(
            update(password_resets)
            .where(password_resets.c.person_id == person_id, password_resets.c.state == ResetState.PENDING.value)
            .values(state=ResetState.REPLACED.value)
        )
