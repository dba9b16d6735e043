"""Verification and password-reset links (R1): loading and saving `domain.links.VerificationLink`
and `domain.resets.PasswordReset` (only the token's hash is stored), and the latest
verification link mailed, read back from the outbox."""

from __future__ import annotations

import json
from typing import Any

from sqlalchemy import Table, select, update

from contracts.identity import VerificationEmailRequested
from identity.domain.links import LinkState, VerificationLink
from identity.domain.resets import PasswordReset
from identity.store.rows import Rows
from identity.store.tables import password_resets, verification_links
from servicekit.store.tables import outbox


class _SingleUseLinks(Rows):
    """A table of single-use links by token hash (R1): get, save, and the person's pending
    ones replaced when a newer one is sent."""

    table: Table
    link: Any  # the domain class, built from a row

    async def _get(self, token_hash: str) -> Any:
        row = await self._one(self.table, self.table.c.token_hash == token_hash)
        return self.link(**{**row._mapping, "state": LinkState(row.state)}) if row else None

    async def save(self, link: VerificationLink | PasswordReset) -> None:
        await self._save(self.table, "token_hash", link)

    async def replace_pending(self, person_id: str) -> None:
        await self._conn.execute(
            update(self.table)
            .where(self.table.c.person_id == person_id, self.table.c.state == LinkState.PENDING.value)
            .values(state=LinkState.REPLACED.value)
        )


class LinkRepository(_SingleUseLinks):
    table, link = verification_links, VerificationLink

    async def get(self, token_hash: str) -> VerificationLink | None:
        found: VerificationLink | None = await self._get(token_hash)
        return found

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


class ResetRepository(_SingleUseLinks):
    """Password-reset links (R1): only the token's hash is stored."""

    table, link = password_resets, PasswordReset

    async def get(self, token_hash: str) -> PasswordReset | None:
        found: PasswordReset | None = await self._get(token_hash)
        return found
