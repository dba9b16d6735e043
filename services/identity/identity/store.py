"""Loading and saving identity's aggregates; the table rows carry the dataclass fields by name."""
from __future__ import annotations

from dataclasses import asdict
from datetime import datetime
from enum import Enum

from sqlalchemy import Table, insert, select, update
from sqlalchemy.ext.asyncio import AsyncConnection

from identity.domain.accounts import Account, AccountContact, AccountStatus, Role
from identity.domain.links import LinkState, VerificationLink
from identity.domain.people import Person
from identity.domain.throttle import SignInThrottle
from identity.tables import (accounts, contacts, metadata, people, revoked_sessions, sign_in_throttles,
                             verification_links)
from servicekit.http.pagination import PageRequest, keyset

__all__ = ["IdentityRepository", "metadata"]


def _row(item) -> dict:
    return {k: (v.value if isinstance(v, Enum) else v) for k, v in asdict(item).items()}


class IdentityRepository:
    def __init__(self, conn: AsyncConnection) -> None:
        self._conn = conn

    async def _one(self, table: Table, *where, lock: bool = False):
        """`lock` when the caller will change the row: it stays locked until the transaction
        ends (PostgreSQL `FOR UPDATE`), so a concurrent command waits and then reads what this
        one wrote. A person's row also stands for their verification links. SQLite's
        BEGIN IMMEDIATE already serialises writers."""
        query = select(table).where(*where)
        return (await self._conn.execute(query.with_for_update() if lock else query)).first()

    async def _save(self, table: Table, key: str, item) -> None:
        values = _row(item)
        done = await self._conn.execute(update(table).where(table.c[key] == values[key]).values(**values))
        if done.rowcount == 0:
            await self._conn.execute(insert(table).values(**values))

    # -- people ------------------------------------------------------------------------------
    async def person_by_email(self, email: str, lock: bool = False) -> Person | None:
        row = await self._one(people, people.c.email == email, lock=lock)
        return Person(**row._mapping) if row else None

    async def person(self, person_id: str, lock: bool = False) -> Person | None:
        row = await self._one(people, people.c.id == person_id, lock=lock)
        return Person(**row._mapping) if row else None

    async def save_person(self, person: Person) -> None:
        await self._save(people, "id", person)

    # -- accounts and contacts -----------------------------------------------------------------
    async def account(self, account_id: str, lock: bool = False) -> Account | None:
        row = await self._one(accounts, accounts.c.id == account_id, lock=lock)
        return Account(**{**row._mapping, "status": AccountStatus(row.status)}) if row else None

    async def save_account(self, account: Account) -> None:
        await self._save(accounts, "id", account)

    async def accounts_founded_by(self, person_id: str) -> list[Account]:
        rows = await self._conn.execute(select(accounts).where(accounts.c.administrator_id == person_id)
                                        .order_by(accounts.c.registered_at, accounts.c.id).with_for_update())
        return [Account(**{**r._mapping, "status": AccountStatus(r.status)}) for r in rows]

    async def save_contact(self, contact: AccountContact) -> None:
        await self._save(contacts, "id", contact)

    async def contacts_where(self, *where, page: PageRequest | None = None) -> list[AccountContact]:
        """In the order they were added; `page`: one page of them (and one more, if any)."""
        query, order = select(contacts).where(*where), [contacts.c.added_at, contacts.c.id]
        rows = await self._conn.execute(keyset(query, order, page) if page else query.order_by(*order))
        return [AccountContact(**{**r._mapping, "role": Role(r.role)}) for r in rows]

    async def contacts_of(self, account_id: str, page: PageRequest | None = None) -> list[AccountContact]:
        return await self.contacts_where(contacts.c.account_id == account_id, page=page)

    async def memberships_of(self, person_id: str, page: PageRequest | None = None) -> list[AccountContact]:
        return await self.contacts_where(contacts.c.person_id == person_id, page=page)

    async def invitations_for(self, email: str) -> list[AccountContact]:
        """Not the founder's row of a withdrawn account: nobody invited the address there."""
        withdrawn = select(accounts.c.id).where(accounts.c.status == AccountStatus.WITHDRAWN.value)
        return await self.contacts_where(contacts.c.email == email, contacts.c.person_id.is_(None),
                                         contacts.c.account_id.not_in(withdrawn))

    # -- verification links ---------------------------------------------------------------------
    async def link(self, token_hash: str) -> VerificationLink | None:
        row = await self._one(verification_links, verification_links.c.token_hash == token_hash)
        return VerificationLink(**{**row._mapping, "state": LinkState(row.state)}) if row else None

    async def save_link(self, link: VerificationLink) -> None:
        await self._save(verification_links, "token_hash", link)

    async def replace_pending_links(self, person_id: str) -> None:
        await self._conn.execute(update(verification_links).where(
            verification_links.c.person_id == person_id,
            verification_links.c.state == LinkState.PENDING.value).values(state=LinkState.REPLACED.value))

    # -- sessions and sign-in limits -------------------------------------------------------------
    async def revoke_session(self, session_id: str, person_id: str, at: datetime) -> bool:
        """False when the session had already ended."""
        if await self.session_revoked(session_id):
            return False
        await self._conn.execute(insert(revoked_sessions).values(
            session_id=session_id, person_id=person_id, signed_out_at=at))
        return True

    async def session_revoked(self, session_id: str) -> bool:
        return await self._one(revoked_sessions, revoked_sessions.c.session_id == session_id) is not None

    async def throttle(self, email: str, lock: bool = False) -> SignInThrottle:
        row = await self._one(sign_in_throttles, sign_in_throttles.c.email == email, lock=lock)
        return SignInThrottle(**row._mapping) if row else SignInThrottle(email)

    async def save_throttle(self, throttle: SignInThrottle) -> None:
        await self._save(sign_in_throttles, "email", throttle)
