"""Accounts (R3) and their contacts (R2, R4, R5): loading and saving `domain.accounts`.

The account row is the lock for its contacts (`AccountRepository.get(..., lock=True)`).
There is no way to delete a contact (R5)."""

from __future__ import annotations

from typing import Any

from sqlalchemy import ColumnElement, select

from identity.domain.accounts import Account, AccountContact, AccountStatus, CustomerType, Role
from identity.store.rows import Rows
from identity.store.tables import accounts, contacts
from servicekit.http.pagination import PageRequest, keyset


def _account(row: Any) -> Account:
    kind = row.customer_type
    return Account(
        **{**row._mapping, "status": AccountStatus(row.status), "customer_type": CustomerType(kind) if kind else None}
    )


class AccountRepository(Rows):
    async def get(self, account_id: str, lock: bool = False) -> Account | None:
        row = await self._one(accounts, accounts.c.id == account_id, lock=lock)
        return _account(row) if row else None

    async def save(self, account: Account) -> None:
        await self._save(accounts, "id", account)

    async def founded_by(self, person_id: str) -> list[Account]:
        """Locked, oldest first."""
        rows = await self._conn.execute(
            select(accounts)
            .where(accounts.c.administrator_id == person_id)
            .order_by(accounts.c.registered_at, accounts.c.id)
            .with_for_update()
        )
        return [_account(r) for r in rows]


class ContactRepository(Rows):
    async def save(self, contact: AccountContact) -> None:
        await self._save(contacts, "id", contact)

    async def _where(self, *where: ColumnElement[bool], page: PageRequest | None = None) -> list[AccountContact]:
        """In the order they were added; `page`: one page of them (and one more, if any)."""
        query, order = select(contacts).where(*where), [contacts.c.added_at, contacts.c.id]
        rows = await self._conn.execute(keyset(query, order, page) if page else query.order_by(*order))
        return [AccountContact(**{**r._mapping, "role": Role(r.role)}) for r in rows]

    async def of_account(self, account_id: str, page: PageRequest | None = None) -> list[AccountContact]:
        return await self._where(contacts.c.account_id == account_id, page=page)

    async def with_email(self, account_id: str, email: str) -> AccountContact | None:
        """The account's contact with that (normalised) e-mail, if any: one row by its unique key."""
        found = await self._where(contacts.c.account_id == account_id, contacts.c.email == email)
        return found[0] if found else None

    async def member(self, account_id: str, person_id: str) -> AccountContact | None:
        """The person's (linked) contact in that account, if they are a member of it (R2)."""
        found = await self._where(contacts.c.account_id == account_id, contacts.c.person_id == person_id)
        return found[0] if found else None

    async def memberships_of(self, person_id: str, page: PageRequest | None = None) -> list[AccountContact]:
        return await self._where(contacts.c.person_id == person_id, page=page)

    async def invitations_for(self, email: str) -> list[AccountContact]:
        """Not the founder's row of a withdrawn account: nobody invited the address there."""
        withdrawn = select(accounts.c.id).where(accounts.c.status == AccountStatus.WITHDRAWN.value)
        return await self._where(
            contacts.c.email == email, contacts.c.person_id.is_(None), contacts.c.account_id.not_in(withdrawn)
        )
