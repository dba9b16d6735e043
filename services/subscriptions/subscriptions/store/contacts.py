"""The company directory (R17, R38): identity's accounts, contacts and people as subscriptions
learnt them from identity's public events (see `store.tables`)."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import Table, delete, insert, select, update
from sqlalchemy.ext.asyncio import AsyncConnection

from contracts.values import Contact
from subscriptions.domain.contacts import CompanyContact
from subscriptions.store.tables import company_invitees, company_members, known_people


class CompanyDirectory:
    """Subscriptions' view of identity's accounts, contacts and people (see `store.tables`).
    Identity publishes account and contact events keyed by account and person events keyed by
    person, so they arrive in any order between the two: every write here is an idempotent
    upsert and a lookup joins whatever has arrived."""

    def __init__(self, conn: AsyncConnection) -> None:
        self._conn = conn

    async def add_member(self, account_id: str, person_id: str) -> None:
        if not await self._exists(company_members, account_id=account_id, person_id=person_id):
            await self._conn.execute(insert(company_members).values(account_id=account_id, person_id=person_id))

    async def add_invitee(self, account_id: str, email: str) -> None:
        if not await self._exists(company_invitees, account_id=account_id, email=email):
            await self._conn.execute(insert(company_invitees).values(account_id=account_id, email=email))

    async def remember_person(self, person: Contact, registered_at: datetime) -> None:
        """A registration, or a repeated one of an unverified address (same person id): the
        latest name and language win."""
        values = dict(email=person.email.lower(), name=person.name, locale=person.locale, registered_at=registered_at)
        found = (
            await self._conn.execute(
                select(known_people.c.registered_at).where(known_people.c.person_id == person.person_id)
            )
        ).first()
        if found is None:
            await self._conn.execute(insert(known_people).values(person_id=person.person_id, **values))
        elif registered_at >= found.registered_at:
            await self._conn.execute(
                update(known_people).where(known_people.c.person_id == person.person_id).values(**values)
            )

    async def forget_account(self, account_id: str) -> None:
        """A withdrawn account has no member and no contact that could become an administrator."""
        await self._conn.execute(delete(company_members).where(company_members.c.account_id == account_id))
        await self._conn.execute(delete(company_invitees).where(company_invitees.c.account_id == account_id))

    async def find(self, account_id: str, email: str) -> CompanyContact:
        """What is known of `email` in the company: whether it is a contact of it (added by
        e-mail, or a linked member such as its founder) and the person registered with it."""
        email = email.lower()
        row = (
            await self._conn.execute(
                select(known_people)
                .where(known_people.c.email == email)
                .order_by(known_people.c.registered_at.desc())
                .limit(1)
            )
        ).first()
        person = (
            Contact(person_id=row.person_id, email=row.email, name=row.name, locale=row.locale)
            if row is not None
            else None
        )
        is_contact = await self._exists(company_invitees, account_id=account_id, email=email) or (
            person is not None
            and await self._exists(company_members, account_id=account_id, person_id=person.person_id)
        )
        return CompanyContact(email=email, is_contact=is_contact, person=person)

    async def _exists(self, table: Table, **key: str) -> bool:
        query = select(*table.primary_key.columns).where(*(table.c[name] == value for name, value in key.items()))
        return (await self._conn.execute(query.limit(1))).first() is not None
