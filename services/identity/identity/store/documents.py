"""Account verification documents (R44): their rows, and their files apart (`document_contents`)."""

from __future__ import annotations

from typing import Any

from sqlalchemy import delete, insert, select

from identity.domain.documents import Document, DocumentKind, DocumentStatus, MediaType
from identity.store.rows import Rows
from identity.store.tables import account_documents, document_contents


def _document(row: Any) -> Document:
    m = row._mapping
    return Document(
        **{
            **m,
            "kind": DocumentKind(m["kind"]),
            "media_type": MediaType(m["media_type"]),
            "status": DocumentStatus(m["status"]),
        }
    )


class DocumentRepository(Rows):
    async def of_account(self, account_id: str) -> list[Document]:
        rows = await self._conn.execute(
            select(account_documents)
            .where(account_documents.c.account_id == account_id)
            .order_by(account_documents.c.uploaded_at, account_documents.c.id)
        )
        return [_document(r) for r in rows]

    async def get(self, account_id: str, document_id: str) -> Document | None:
        row = await self._one(
            account_documents, account_documents.c.account_id == account_id, account_documents.c.id == document_id
        )
        return _document(row) if row else None

    async def of_kind(self, account_id: str, kind: DocumentKind) -> Document | None:
        row = await self._one(
            account_documents, account_documents.c.account_id == account_id, account_documents.c.kind == kind.value
        )
        return _document(row) if row else None

    async def save(self, document: Document) -> None:
        await self._save(account_documents, "id", document)

    async def replace(self, previous: Document | None, document: Document, content: bytes) -> None:
        """The new document of its kind, with its file; the previous one (not accepted) goes."""
        if previous is not None:
            await self._conn.execute(delete(document_contents).where(document_contents.c.document_id == previous.id))
            await self._conn.execute(delete(account_documents).where(account_documents.c.id == previous.id))
        await self.save(document)
        await self._conn.execute(insert(document_contents).values(document_id=document.id, content=content))

    async def content(self, document_id: str) -> bytes | None:
        row = (
            await self._conn.execute(
                select(document_contents.c.content).where(document_contents.c.document_id == document_id)
            )
        ).first()
        return bytes(row.content) if row else None
