"""SEPA Direct Debit (issue 15, item 5): the mandates accounts gave, the collections recorded
under them, and the collection files written for the vendor's bank."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime
from enum import Enum
from typing import Any

from sqlalchemy import func, insert, select, update
from sqlalchemy.ext.asyncio import AsyncConnection

from billing.domain.mandates import Mandate, SequenceType
from billing.store.tables import sepa_collection_files, sepa_collections, sepa_mandates
from servicekit.http.pagination import PageRequest, keyset


@dataclass(frozen=True)
class StoredMandate:
    seq: int
    mandate: Mandate
    created_at: datetime


class MandateRepository:
    def __init__(self, conn: AsyncConnection) -> None:
        self._conn = conn

    async def active_of(self, account_id: str, *, lock: bool = False) -> StoredMandate | None:
        """`lock`: held until the transaction ends (PostgreSQL): a collection file and a
        revocation of the same mandate apply one after the other."""
        query = select(sepa_mandates).where(
            sepa_mandates.c.account_id == account_id, sepa_mandates.c.revoked_at.is_(None)
        )
        row = (await self._conn.execute(query.with_for_update() if lock else query)).first()
        return _mandate_of(row) if row else None

    async def by_reference(self, reference: str, *, lock: bool = False) -> StoredMandate | None:
        query = select(sepa_mandates).where(sepa_mandates.c.mandate_reference == reference)
        row = (await self._conn.execute(query.with_for_update() if lock else query)).first()
        return _mandate_of(row) if row else None

    async def count_of(self, account_id: str) -> int:
        """Every mandate the account ever gave, revoked ones included: the next generated reference's number."""
        query = select(func.count()).select_from(sepa_mandates).where(sepa_mandates.c.account_id == account_id)
        return int((await self._conn.execute(query)).scalar_one())

    async def add(self, mandate: Mandate, at: datetime) -> StoredMandate:
        result = await self._conn.execute(
            insert(sepa_mandates).values(
                account_id=mandate.account_id,
                mandate_reference=mandate.mandate_reference,
                debtor_name=mandate.debtor_name,
                iban=mandate.iban,
                bic=mandate.bic,
                signed_on=mandate.signed_on,
                sequence=mandate.sequence.value,
                created_at=at,
                revoked_at=mandate.revoked_at,
            )
        )
        assert result.inserted_primary_key is not None
        return StoredMandate(int(result.inserted_primary_key[0]), mandate, at)

    async def revoke(self, seq: int, at: datetime) -> None:
        await self._conn.execute(
            update(sepa_mandates)
            .where(sepa_mandates.c.seq == seq, sepa_mandates.c.revoked_at.is_(None))
            .values(revoked_at=at)
        )

    async def mark_collected(self, reference: str) -> None:
        """Its first collection went into a file: every later one is recurring."""
        await self._conn.execute(
            update(sepa_mandates)
            .where(sepa_mandates.c.mandate_reference == reference)
            .values(sequence=SequenceType.RECURRING.value)
        )


class CollectionState(str, Enum):
    PENDING = "pending"  # recorded on the due date, waiting for a collection file
    IN_FILE = "in_file"  # in a pain.008 file: the bank statement confirms it (EndToEndId)
    DROPPED = "dropped"  # not collected: paid meanwhile, or its mandate revoked (`note` says)


@dataclass(frozen=True)
class StoredCollection:
    invoice_id: str
    number: str
    account_id: str
    seller_id: str
    amount_minor: int
    currency: str
    due_on: date
    mandate_reference: str
    sequence: SequenceType
    state: CollectionState
    file_id: str | None
    collect_on: date | None
    note: str | None
    recorded_at: datetime


@dataclass(frozen=True)
class StoredFile:
    file_id: str
    seller_id: str
    created_at: datetime
    collections: int
    total_minor: int
    currency: str
    sha256: str
    size_bytes: int


class CollectionRepository:
    def __init__(self, conn: AsyncConnection) -> None:
        self._conn = conn

    # -- collections ----------------------------------------------------------------------------

    async def get(self, invoice_id: str) -> StoredCollection | None:
        row = (
            await self._conn.execute(select(sepa_collections).where(sepa_collections.c.invoice_id == invoice_id))
        ).first()
        return _collection_of(row) if row else None

    async def add(self, collection: StoredCollection, at: datetime) -> None:
        await self._conn.execute(insert(sepa_collections).values(**_collection_row(collection), changed_at=at))

    async def pending_of_seller(self, seller_id: str) -> list[StoredCollection]:
        """Locked (PostgreSQL) in invoice order: a file and anything else taking them wait in turn."""
        query = (
            select(sepa_collections)
            .where(sepa_collections.c.seller_id == seller_id, sepa_collections.c.state == CollectionState.PENDING.value)
            .order_by(sepa_collections.c.invoice_id)
            .with_for_update()
        )
        return [_collection_of(row) for row in await self._conn.execute(query)]

    async def of_file(self, file_id: str) -> list[StoredCollection]:
        query = (
            select(sepa_collections)
            .where(sepa_collections.c.file_id == file_id)
            .order_by(sepa_collections.c.due_on, sepa_collections.c.number)
        )
        return [_collection_of(row) for row in await self._conn.execute(query)]

    async def put_in_file(
        self, collection: StoredCollection, file_id: str, sequence: SequenceType, collect_on: date, at: datetime
    ) -> bool:
        """False when it is no longer pending (taken by another file meanwhile)."""
        result = await self._conn.execute(
            update(sepa_collections)
            .where(
                sepa_collections.c.invoice_id == collection.invoice_id,
                sepa_collections.c.state == CollectionState.PENDING.value,
            )
            .values(
                state=CollectionState.IN_FILE.value,
                file_id=file_id,
                amount_minor=collection.amount_minor,
                mandate_reference=collection.mandate_reference,
                sequence=sequence.value,
                collect_on=collect_on,
                changed_at=at,
            )
        )
        return result.rowcount == 1

    async def drop(self, invoice_id: str, note: str, at: datetime) -> None:
        await self._conn.execute(
            update(sepa_collections)
            .where(
                sepa_collections.c.invoice_id == invoice_id,
                sepa_collections.c.state == CollectionState.PENDING.value,
            )
            .values(state=CollectionState.DROPPED.value, note=note[:500], changed_at=at)
        )

    # -- files ----------------------------------------------------------------------------------

    async def add_file(self, file: StoredFile, content: bytes) -> None:
        values = {k: v for k, v in file.__dict__.items() if k != "size_bytes"}
        await self._conn.execute(insert(sepa_collection_files).values(**values, content=content))

    async def files(self, page: PageRequest) -> list[StoredFile]:
        """Newest first."""
        query = keyset(
            select(*_FILE_COLUMNS),
            (sepa_collection_files.c.created_at, sepa_collection_files.c.file_id),
            page,
            descending=True,
        )
        return [_file_of(row) for row in await self._conn.execute(query)]

    async def file(self, file_id: str) -> StoredFile | None:
        row = (
            await self._conn.execute(select(*_FILE_COLUMNS).where(sepa_collection_files.c.file_id == file_id))
        ).first()
        return _file_of(row) if row else None

    async def content(self, file_id: str) -> bytes | None:
        query = select(sepa_collection_files.c.content).where(sepa_collection_files.c.file_id == file_id)
        found = (await self._conn.execute(query)).scalar()
        return bytes(found) if found is not None else None


_FILE_COLUMNS = (
    *(column for column in sepa_collection_files.c if column.name != "content"),
    func.length(sepa_collection_files.c.content).label("size_bytes"),
)


def _mandate_of(row: Any) -> StoredMandate:
    mandate = Mandate(
        account_id=row.account_id,
        debtor_name=row.debtor_name,
        iban=row.iban,
        bic=row.bic,
        mandate_reference=row.mandate_reference,
        signed_on=row.signed_on,
        sequence=SequenceType(row.sequence),
        revoked_at=row.revoked_at,
    )
    return StoredMandate(row.seq, mandate, row.created_at)


def _collection_row(collection: StoredCollection) -> dict[str, Any]:
    row = dict(collection.__dict__)
    row["sequence"] = collection.sequence.value
    row["state"] = collection.state.value
    return row


def _collection_of(row: Any) -> StoredCollection:
    return StoredCollection(
        invoice_id=row.invoice_id,
        number=row.number,
        account_id=row.account_id,
        seller_id=row.seller_id,
        amount_minor=row.amount_minor,
        currency=row.currency,
        due_on=row.due_on,
        mandate_reference=row.mandate_reference,
        sequence=SequenceType(row.sequence),
        state=CollectionState(row.state),
        file_id=row.file_id,
        collect_on=row.collect_on,
        note=row.note,
        recorded_at=row.recorded_at,
    )


def _file_of(row: Any) -> StoredFile:
    return StoredFile(
        file_id=row.file_id,
        seller_id=row.seller_id,
        created_at=row.created_at,
        collections=row.collections,
        total_minor=row.total_minor,
        currency=row.currency,
        sha256=row.sha256,
        size_bytes=int(row.size_bytes or 0),
    )
