"""Account verification documents (R44, R3): the customer type, uploads by the account's
administrators, and operators' decisions; all required documents accepted → verified."""

from __future__ import annotations

import hashlib
import uuid
from dataclasses import dataclass
from datetime import date

from contracts.errors import not_found
from identity.domain import accounts as account_rules
from identity.domain import documents as rules
from identity.domain.accounts import Account, CustomerType
from identity.domain.documents import Document, DocumentKind
from identity.handlers.accounts import accept_documents, account_for
from identity.store.uow import IdentityUnitOfWork
from servicekit.http.auth import Caller


@dataclass(frozen=True)
class Upload:
    kind: DocumentKind
    filename: str
    content: bytes
    issued_on: date | None


async def administered(caller: Caller, account_id: str, uow: IdentityUnitOfWork, lock: bool = False) -> Account:
    """R44: only the account's administrators read or send its documents (others: 403)."""
    account = await account_for(caller, account_id, uow, lock=lock)
    account_rules.ensure_administrator(
        account_rules.ensure_member(await uow.contacts.memberships_of(caller.person_id), account_id),
        "Only an administrator of this account sees and sends its verification documents (R44).",
        rule="R44",
    )
    return account


async def documents_of(caller: Caller, account_id: str, uow: IdentityUnitOfWork) -> tuple[Account, list[Document]]:
    account = await administered(caller, account_id, uow)
    return account, await uow.documents.of_account(account_id)


async def choose_customer_type(
    caller: Caller, account_id: str, customer_type: CustomerType, uow: IdentityUnitOfWork
) -> tuple[Account, list[Document]]:
    account = await administered(caller, account_id, uow, lock=True)
    rules.choose_customer_type(account, customer_type)
    await uow.accounts.save(account)
    return account, await uow.documents.of_account(account_id)


async def upload(caller: Caller, account_id: str, upload: Upload, uow: IdentityUnitOfWork) -> Document:
    """R44: the document of its kind, replacing one not yet accepted."""
    account = await administered(caller, account_id, uow, lock=True)  # one document of a kind at a time
    media_type = rules.media_type_of(upload.content)
    current = await uow.documents.of_kind(account_id, upload.kind)
    document = rules.new_document(
        str(uuid.uuid4()),
        account,
        upload.kind,
        current,
        upload.filename,
        media_type,
        len(upload.content),
        hashlib.sha256(upload.content).hexdigest(),
        upload.issued_on,
        caller.person_id,
        uow.now(),
    )
    await uow.documents.replace(current, document, upload.content)
    return document


async def content_of(caller: Caller | None, account_id: str, document_id: str, uow: IdentityUnitOfWork) -> bytes:
    """The file: for the account's administrators, or an operator (`caller` None)."""
    if caller is not None:
        await administered(caller, account_id, uow)
    content = await uow.documents.content(document_id) if await uow.documents.get(account_id, document_id) else None
    if content is None:
        raise not_found("document", document_id)
    return content


async def for_operator(account_id: str, uow: IdentityUnitOfWork) -> tuple[Account, list[Document]]:
    account = await uow.accounts.get(account_id)
    if account is None:
        raise not_found("account", account_id)
    return account, await uow.documents.of_account(account_id)


async def decide(
    account_id: str, document_id: str, reason: str | None, uow: IdentityUnitOfWork
) -> tuple[Account, list[Document]]:
    """R44 (operator): accept (`reason` None) or refuse one document; once every document the
    account's type requires is accepted, the account is verified (R3, `identity.account_verified`)."""
    account = await uow.accounts.get(account_id, lock=True)
    document = await uow.documents.get(account_id, document_id) if account is not None else None
    if account is None or document is None:
        raise not_found("document", document_id)
    if reason is None:
        document.accept(uow.now())
    else:
        document.refuse(reason, uow.now())
    await uow.documents.save(document)
    documents = await uow.documents.of_account(account_id)
    if rules.all_required_accepted(account, documents) and account.status is not account_rules.AccountStatus.VERIFIED:
        account = await accept_documents(account_id, uow)
    return account, documents
