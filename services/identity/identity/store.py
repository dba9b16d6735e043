"""People, accounts and who belongs to which account."""
from __future__ import annotations

from sqlalchemy import Column, MetaData, String, Table, insert, select
from sqlalchemy.ext.asyncio import AsyncConnection

from identity.domain import Account, Person
from servicekit.db import UTCDateTime

metadata = MetaData()

people = Table(
    "people", metadata,
    Column("id", String(64), primary_key=True),
    Column("email", String(320), nullable=False, unique=True),
    Column("name", String(200), nullable=False),
    Column("locale", String(8), nullable=False),
    Column("password_hash", String(255), nullable=False),
)
accounts = Table(
    "accounts", metadata,
    Column("id", String(64), primary_key=True),
    Column("company_name", String(200), nullable=False),
    Column("administrator_id", String(64), nullable=False),
    Column("registered_at", UTCDateTime, nullable=False),
)
memberships = Table(
    "memberships", metadata,
    Column("person_id", String(64), primary_key=True),
    Column("account_id", String(64), primary_key=True),
    Column("role", String(32), nullable=False),
)


class IdentityRepository:
    def __init__(self, conn: AsyncConnection) -> None:
        self._conn = conn

    async def person_by_email(self, email: str) -> Person | None:
        row = (await self._conn.execute(select(people).where(people.c.email == email))).first()
        return None if row is None else Person(row.id, row.email, row.name, row.locale, row.password_hash)

    async def add_person(self, person: Person) -> None:
        await self._conn.execute(insert(people).values(**vars(person)))

    async def add_account(self, account: Account) -> None:
        await self._conn.execute(insert(accounts).values(**vars(account)))
        await self._conn.execute(insert(memberships).values(
            person_id=account.administrator_id, account_id=account.id, role="administrator"))

    async def accounts_of(self, person_id: str) -> list[str]:
        rows = await self._conn.execute(select(memberships.c.account_id).where(
            memberships.c.person_id == person_id).order_by(memberships.c.account_id))
        return [r.account_id for r in rows]
