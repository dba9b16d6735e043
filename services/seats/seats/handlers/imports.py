"""Handlers for bulk imports (R23): upload a draft, correct rows, submit, import in chunks.

An upload is checked (the caller administers the subscription), then parsed off the event
loop (`adapters.importfiles.ImportParser`), then stored in batches; only the last step is the
command's transaction, so a parse holds no lock. Each chunk of a submitted import invites
within the account's hourly limit of invitation e-mails, and waits for the next hour when
the limit is reached (issue 11: a 50,000-row import once mailed anyone at once).
"""

from __future__ import annotations

import uuid
from datetime import datetime

from seats.adapters.importfiles import ImportParser, ParsedImport, row_problems_at_the_edge
from seats.domain.imports import ImportDraft
from seats.domain.users import normalise_email
from seats.handlers import users
from seats.store.uow import SeatsUnitOfWork
from servicekit.http.auth import Caller
from servicekit.http.pagination import PageRequest
from servicekit.scheduler import DueJob

IMPORT_CHUNK = "import_chunk"


async def may_upload(subscription_id: str, caller: Caller, uow: SeatsUnitOfWork) -> set[str]:
    """Before a file is parsed: the caller administers a subscription that is not over. The
    e-mails already listed, which the draft drops as duplicates."""
    pool = await users.administered_pool(subscription_id, caller, uow)
    pool.ensure_usable()
    return await uow.users.listed_emails(subscription_id)


async def parse(
    parser: ImportParser, subscription_id: str, filename: str, content: bytes, listed_emails: set[str], at: datetime
) -> ParsedImport:
    """Off the event loop, outside any transaction: a parse holds no lock."""
    return await parser.parse(str(uuid.uuid4()), subscription_id, filename, content, listed_emails, at)


async def store(subscription_id: str, parsed: ParsedImport, caller: Caller, uow: SeatsUnitOfWork) -> ImportDraft:
    """R23: the draft, validated and without duplicates; nothing is imported yet."""
    pool = await users.administered_pool(subscription_id, caller, uow, lock=True)
    pool.ensure_usable()
    await uow.imports.add_parsed(parsed)
    return parsed.summary


async def read(subscription_id: str, import_id: str, caller: Caller, uow: SeatsUnitOfWork) -> ImportDraft:
    """Progress and the first rows to correct; the rows themselves a page at a time (`rows`)."""
    await users.administered_pool(subscription_id, caller, uow)
    return await uow.imports.summary(subscription_id, import_id)


async def rows(
    subscription_id: str, import_id: str, incomplete_only: bool, page: PageRequest, caller: Caller, uow: SeatsUnitOfWork
):
    await users.administered_pool(subscription_id, caller, uow)
    return await uow.imports.page_of_rows(subscription_id, import_id, page, incomplete_only)


async def correct_row(
    subscription_id: str, import_id: str, row_no: int, changes: dict, caller: Caller, uow: SeatsUnitOfWork
) -> ImportDraft:
    """R23: an incomplete row is corrected without uploading the file again."""
    await users.administered_pool(subscription_id, caller, uow, lock=True)
    new_email = normalise_email(changes["email"]) if changes.get("email") is not None else None
    draft = await uow.imports.for_correction(subscription_id, import_id, row_no, new_email)
    listed = await uow.users.listed_emails(subscription_id)
    await uow.imports.save_row(draft, draft.correct(row_no, listed, check=row_problems_at_the_edge, **changes))
    return await uow.imports.summary(subscription_id, import_id)


async def submit(
    subscription_id: str,
    import_id: str,
    chunk_size: int,
    invitations: users.Invitations,
    caller: Caller,
    uow: SeatsUnitOfWork,
) -> ImportDraft:
    """R23: only a complete list is imported; the chunks run as due jobs, one transaction each."""
    pool = await users.administered_pool(subscription_id, caller, uow, lock=True)
    pool.ensure_usable()
    draft = await uow.imports.for_submission(subscription_id, import_id)
    dropped = draft.submit(await uow.users.listed_emails(subscription_id), uow.now())
    await uow.imports.remove_rows(draft, dropped)
    await uow.imports.save_progress(draft)
    await _schedule_chunk(
        draft,
        {
            "import_id": import_id,
            "chunk_size": chunk_size,
            "identity_url": invitations.identity_url,
            "invitations_per_hour": invitations.per_account_per_hour,
        },
        uow,
    )
    return await uow.imports.summary(subscription_id, import_id)


async def import_chunk(job: DueJob, uow: SeatsUnitOfWork) -> None:
    """One chunk of a submitted import; the last one publishes UsersImported with the count.
    The pool is locked before the draft is read, as every change of a subscription does. A
    chunk takes no more rows than the account may still invite this hour; with none left it
    waits for the next hour."""
    pool = await uow.pools.get(job.subject, lock=True)
    invitations = users.Invitations(
        job.payload["identity_url"], job.payload.get("invitations_per_hour", users.DEFAULT_INVITATIONS_PER_HOUR)
    )
    size = min(job.payload["chunk_size"], await invitations.allowance(uow, pool.account_id))
    if size == 0:
        draft = await uow.imports.for_chunk(job.subject, job.payload["import_id"], 0)
        await _schedule_chunk(draft, job.payload, uow, due_at=invitations.next_window(uow))
        return
    draft = await uow.imports.for_chunk(job.subject, job.payload["import_id"], size)
    chunk = draft.next_chunk(size)
    if not chunk:
        return
    listed = await uow.users.listed_emails(job.subject)
    fresh = [r.new_user for r in chunk if r.email not in listed]  # added by hand since submission
    added = await users.add_imported(pool, fresh, invitations, uow)
    finished = draft.record_progress(len(chunk), added, pool.account_id, uow.now())
    await uow.imports.save_progress(draft)
    if finished is not None:
        await uow.publish(finished)
    else:
        await _schedule_chunk(draft, job.payload, uow)


async def _schedule_chunk(
    draft: ImportDraft, payload: dict, uow: SeatsUnitOfWork, due_at: datetime | None = None
) -> None:
    """Due at once (or when the account may invite again); one job id per chunk and due time,
    so each chunk's job is its own, done once."""
    due = due_at or uow.now()
    await uow.schedule(
        f"{IMPORT_CHUNK}:{draft.import_id}:{draft.done}:{due:%Y%m%dT%H%M%S}",
        IMPORT_CHUNK,
        draft.subscription_id,
        due,
        payload,
    )
