"""SEPA Direct Debit collections (issue 15, item 5), each step in the unit of work of what
causes it.

1. An invoice issued to an account with an active mandate, by a seller with a SEPA creditor
   identifier, in euro, gets a due job on its due date (`sepa-collection:<invoice id>`).
2. That job records a **pending collection** of what the invoice still owes, if it still owes
   anything, under the account's mandate then.
3. An operator's collection file takes every pending collection of one seller: each is looked
   at again (paid meanwhile, or its mandate revoked with no other given: dropped), its
   sequence settled (`FRST` for a mandate's first collection in a file, `RCUR` after), and the
   pain.008 written, kept and handed over. The invoice is not marked paid: the bank statement
   confirms the collection by its EndToEndId, the invoice number (`billing.handlers.payments`).
"""

from __future__ import annotations

import hashlib
import logging
from dataclasses import dataclass, replace
from datetime import UTC, datetime, time, timedelta

from billing.adapters.sepa import MAX_COLLECTIONS, CollectionFileRefused, pain008
from billing.domain import mandates
from billing.domain.invoices import Invoice, InvoiceKind
from billing.domain.mandates import SEPA_CURRENCY, Collection, MandateRefused, SequenceType
from billing.domain.parties import Seller
from billing.domain.payments import UNSETTLED
from billing.store.mandates import CollectionState, StoredCollection, StoredFile, StoredMandate
from billing.store.uow import BillingUnitOfWork
from contracts.errors import RuleViolation
from servicekit.scheduler import DueJob

log = logging.getLogger("billing.collections")
SEPA_COLLECTION = "sepa-collection"
JOB_SUBJECT = "billing"  # the stack's clock, as the overdue checks'
FILE_SERIES = "SDD"  # `BE-SDD-2026-000001`: the file's id and pain.008 message id


def job_id(invoice_id: str) -> str:
    return f"{SEPA_COLLECTION}:{invoice_id}"


async def invoice_issued(invoice: Invoice, uow: BillingUnitOfWork) -> None:
    """In the issuing transaction: an invoice billing can collect by direct debit gets its
    collection job at 00:00 UTC on its due date (the job looks at the invoice again then)."""
    seller = invoice.seller
    if (
        invoice.kind is not InvoiceKind.INVOICE
        or seller is None
        or not seller.sepa_creditor_id
        or invoice.total.currency != SEPA_CURRENCY
        or invoice.total.amount_minor <= 0
        or await uow.mandates.active_of(invoice.account_id) is None
    ):
        return
    due_at = datetime.combine(invoice.due_on, time(), tzinfo=UTC)
    payload = {"invoice_id": invoice.invoice_id}
    await uow.schedule(job_id(invoice.invoice_id), SEPA_COLLECTION, JOB_SUBJECT, due_at, payload)


async def collect(job: DueJob, uow: BillingUnitOfWork) -> None:
    """The due date: what the invoice still owes becomes a pending collection, under the
    account's mandate now. Nothing when it was paid, voided or written off meanwhile, when the
    mandate was revoked with no other given, or when it was recorded already."""
    invoice_id = str(job.payload.get("invoice_id", ""))
    if await uow.collections.get(invoice_id) is not None:
        return
    balance = await uow.payments.balance(invoice_id, lock=True)
    if balance is None or balance.state not in UNSETTLED or balance.open_minor <= 0:
        log.info("%s: nothing to collect (%s)", invoice_id, balance.state.value if balance else "unknown invoice")
        return
    invoice = await uow.invoices.get(invoice_id)
    found = await uow.mandates.active_of(balance.account_id)
    if invoice is None or invoice.seller is None or found is None:
        log.info("%s: not collected, the account has no active mandate", balance.number)
        return
    try:
        mandates.collection_of(
            invoice_id, balance.number, balance.open_minor, balance.currency, found.mandate, balance.due_on
        )
    except MandateRefused as refused:
        log.warning("%s: not collected: %s", balance.number, refused.message)
        return
    await uow.collections.add(
        StoredCollection(
            invoice_id=invoice_id,
            number=balance.number,
            account_id=balance.account_id,
            seller_id=invoice.seller.seller_id,
            amount_minor=balance.open_minor,
            currency=balance.currency,
            due_on=balance.due_on,
            mandate_reference=found.mandate.mandate_reference,
            sequence=found.mandate.sequence,  # as it stands; settled when it goes into a file
            state=CollectionState.PENDING,
            file_id=None,
            collect_on=None,
            note=None,
            recorded_at=uow.now(),
        ),
        uow.now(),
    )


@dataclass(frozen=True)
class FileWritten:
    file: StoredFile
    collections: list[StoredCollection]  # as they are in the file
    dropped: list[StoredCollection]  # with why, in `note`


async def write_file(seller: Seller, uow: BillingUnitOfWork) -> FileWritten:
    """One pain.008 of every pending collection of `seller` (at most `MAX_COLLECTIONS`; the rest
    wait for the next file), kept and answered. 409 `nothing_to_collect` when none is left."""
    if not seller.sepa_creditor_id:
        raise RuleViolation(
            "no_creditor_id", f"Seller {seller.seller_id} has no SEPA creditor identifier: it collects nothing."
        )
    now = uow.now()
    # The series' counter is locked until this commits: two files of one seller are written one
    # after the other, the second seeing what the first took; a refusal gives its number back.
    number = await uow.invoices.next_sequence(f"{seller.seller_id}-{FILE_SERIES}-{now.year}")
    file_id = f"{seller.seller_id}-{FILE_SERIES}-{now.year}-{number:06d}"
    pending = sorted(await uow.collections.pending_of_seller(seller.seller_id), key=lambda c: (c.due_on, c.number))
    balances = await uow.payments.balances([c.invoice_id for c in pending], lock=True)
    # A file is read by the bank a business day ahead at least: never ask for a date before tomorrow.
    earliest = now.date() + timedelta(days=1)
    taken: list[tuple[StoredCollection, Collection]] = []
    dropped: list[StoredCollection] = []
    first_in_file: set[str] = set()
    for pending_one in pending:
        if len(taken) == MAX_COLLECTIONS:
            break
        balance = balances.get(pending_one.invoice_id)
        if balance is None or balance.state not in UNSETTLED or balance.open_minor <= 0:
            state = balance.state.value if balance else "unknown"
            dropped.append(replace(pending_one, note=f"the invoice is {state}: nothing to collect"))
            continue
        mandate = await _mandate_for(pending_one, uow)
        if mandate is None:
            dropped.append(replace(pending_one, note="its mandate was revoked and the account has no other"))
            continue
        reference = mandate.mandate.mandate_reference
        first = mandate.mandate.sequence is SequenceType.FIRST and reference not in first_in_file
        sequence = SequenceType.FIRST if first else SequenceType.RECURRING
        try:
            collection = mandates.collection_of(
                balance.invoice_id,
                balance.number,
                balance.open_minor,
                balance.currency,
                replace(mandate.mandate, sequence=sequence),
                max(pending_one.due_on, earliest),
            )
        except MandateRefused as refused:
            dropped.append(replace(pending_one, note=refused.message))
            continue
        first_in_file.add(reference)
        final = replace(
            pending_one,
            amount_minor=balance.open_minor,
            mandate_reference=reference,
            sequence=sequence,
            state=CollectionState.IN_FILE,
            file_id=file_id,
            collect_on=collection.due_on,
        )
        taken.append((final, collection))
    if not taken:
        raise RuleViolation(
            "nothing_to_collect",
            f"Seller {seller.seller_id} has no pending collection"
            + (f" left ({len(dropped)} no longer to collect)." if dropped else "."),
        )
    try:
        content = pain008(seller, [collection for _, collection in taken], file_id, now)
    except CollectionFileRefused as refused:
        raise RuleViolation(refused.code, refused.message) from None
    for final, _ in taken:
        assert final.collect_on is not None
        if not await uow.collections.put_in_file(final, file_id, final.sequence, final.collect_on, now):
            raise RuntimeError(f"{final.number} left the pending collections while this file was written")
    for reference in first_in_file:
        await uow.mandates.mark_collected(reference)
    for gone in dropped:
        await uow.collections.drop(gone.invoice_id, gone.note or "", now)
    file = StoredFile(
        file_id=file_id,
        seller_id=seller.seller_id,
        created_at=now,
        collections=len(taken),
        total_minor=sum(final.amount_minor for final, _ in taken),
        currency=SEPA_CURRENCY,
        sha256=hashlib.sha256(content).hexdigest(),
        size_bytes=len(content),
    )
    await uow.collections.add_file(file, content)
    return FileWritten(file, [final for final, _ in taken], dropped)


async def _mandate_for(collection: StoredCollection, uow: BillingUnitOfWork) -> StoredMandate | None:
    """The mandate it was recorded under or, revoked since, the one the account gave in its place."""
    found = await uow.mandates.by_reference(collection.mandate_reference, lock=True)
    if found is not None and found.mandate.active:
        return found
    return await uow.mandates.active_of(collection.account_id, lock=True)
