"""People (R1): loading and saving `domain.people.Person`."""

from __future__ import annotations

from identity.domain.people import Person
from identity.store.rows import Rows
from identity.store.tables import people


class PersonRepository(Rows):
    async def get(self, person_id: str, lock: bool = False) -> Person | None:
        row = await self._one(people, people.c.id == person_id, lock=lock)
        return Person(**row._mapping) if row else None

    async def by_email(self, email: str, lock: bool = False) -> Person | None:
        row = await self._one(people, people.c.email == email, lock=lock)
        return Person(**row._mapping) if row else None

    async def save(self, person: Person) -> None:
        await self._save(people, "id", person)
