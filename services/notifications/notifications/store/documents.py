"""The invoices' PDFs, kept until the e-mails carrying them are sent."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import delete, exists, insert, select
from sqlalchemy.ext.asyncio import AsyncConnection

from notifications.domain.documents import InvoiceDocument
from notifications.store.tables import emails, invoice_documents

UNSENT = ("held", "pending")


class DocumentRepository:
    def __init__(self, conn: AsyncConnection) -> None:
        self._conn = conn

    async def get(self, invoice_id: str) -> InvoiceDocument | None:
        row = (
            await self._conn.execute(select(invoice_documents).where(invoice_documents.c.invoice_id == invoice_id))
        ).first()
        if row is None:
            return None
        return InvoiceDocument(
            invoice_id=row.invoice_id,
            account_id=row.account_id,
            number=row.number,
            filename=row.filename,
            sha256=row.sha256,
            size_bytes=row.size_bytes,
            content=row.content,
        )

    async def keep(self, document: InvoiceDocument, at: datetime) -> bool:
        """False when one is kept for this invoice already (the first one stays)."""
        if await self.get(document.invoice_id) is not None:
            return False
        await self._conn.execute(insert(invoice_documents).values(**vars(document), received_at=at))
        return True

    async def forget_if_done(self, invoice_id: str) -> None:
        """Delete the document once no e-mail waits for it or is still to send with it."""
        unsent = exists().where(emails.c.document_id == invoice_id, emails.c.status.in_(UNSENT))
        await self._conn.execute(delete(invoice_documents).where(invoice_documents.c.invoice_id == invoice_id, ~unsent))

    async def forget_older_than(self, before: datetime, limit: int = 500) -> int:
        """Documents no unsent e-mail needs, received before `before` (their invoice's e-mail
        never came, or went without them): a bounded batch. Returns how many."""
        unsent = exists().where(emails.c.document_id == invoice_documents.c.invoice_id, emails.c.status.in_(UNSENT))
        old = (
            select(invoice_documents.c.invoice_id).where(invoice_documents.c.received_at < before, ~unsent).limit(limit)
        )
        ids = list((await self._conn.execute(old)).scalars())
        if ids:
            await self._conn.execute(delete(invoice_documents).where(invoice_documents.c.invoice_id.in_(ids)))
        return len(ids)
