"""Handlers for bulk imports (R23): upload a draft, correct rows, submit, import in chunks."""
from __future__ import annotations

import uuid

from seats import users
from seats.domain.imports import ImportDraft
from seats.import_store import ImportRepository
from seats.importfiles import read_rows
from seats.people_store import PeopleRepository
from seats.store import SeatPoolRepository
from servicekit.auth import Caller
from servicekit.scheduler import DueJob
from servicekit.uow import UnitOfWork

IMPORT_CHUNK = "import_chunk"


async def upload(subscription_id: str, filename: str, content: bytes, caller: Caller, uow: UnitOfWork) -> ImportDraft:
    """R23: a draft, validated and without duplicates; nothing is imported yet."""
    pool = await users.administered_pool(subscription_id, caller, uow)
    pool.ensure_usable()
    listed = await PeopleRepository(uow.conn).listed_emails(subscription_id)
    draft = ImportDraft.from_rows(str(uuid.uuid4()), subscription_id, read_rows(filename, content), listed, uow.now())
    await ImportRepository(uow.conn).add(draft)
    return draft


async def read(subscription_id: str, import_id: str, caller: Caller, uow: UnitOfWork) -> ImportDraft:
    await users.administered_pool(subscription_id, caller, uow)
    return await ImportRepository(uow.conn).get(subscription_id, import_id)


async def correct_row(subscription_id: str, import_id: str, row_no: int, changes: dict, caller: Caller,
                      uow: UnitOfWork) -> ImportDraft:
    """R23: an incomplete row is corrected without uploading the file again."""
    await users.administered_pool(subscription_id, caller, uow, lock=True)
    repo = ImportRepository(uow.conn)
    draft = await repo.get(subscription_id, import_id)
    listed = await PeopleRepository(uow.conn).listed_emails(subscription_id)
    await repo.save_row(draft, draft.correct(row_no, listed, **changes))
    return draft


async def submit(subscription_id: str, import_id: str, chunk_size: int, identity_url: str, caller: Caller,
                 uow: UnitOfWork) -> ImportDraft:
    """R23: only a complete list is imported; the chunks run as due jobs, one transaction each."""
    pool = await users.administered_pool(subscription_id, caller, uow, lock=True)
    pool.ensure_usable()
    repo = ImportRepository(uow.conn)
    draft = await repo.get(subscription_id, import_id)
    dropped = draft.submit(await PeopleRepository(uow.conn).listed_emails(subscription_id), uow.now())
    await repo.remove_rows(draft, dropped)
    await repo.save_progress(draft)
    await _schedule_chunk(draft, {"import_id": import_id, "chunk_size": chunk_size, "identity_url": identity_url},
                          uow)
    return draft


async def import_chunk(job: DueJob, uow: UnitOfWork) -> None:
    """One chunk of a submitted import; the last one publishes UsersImported with the count.
    The pool is locked before the draft is read, as every change of a subscription does."""
    pool = await SeatPoolRepository(uow.conn).get(job.subject, lock=True)
    repo = ImportRepository(uow.conn)
    draft = await repo.get(job.subject, job.payload["import_id"])
    chunk = draft.next_chunk(job.payload["chunk_size"])
    if not chunk:
        return
    listed = await PeopleRepository(uow.conn).listed_emails(job.subject)
    fresh = [r.new_user for r in chunk if r.email not in listed]  # added by hand since submission
    added = await users.add_imported(pool, fresh, job.payload["identity_url"], uow)
    finished = draft.record_progress(len(chunk), added, pool.account_id, uow.now())
    await repo.save_progress(draft)
    if finished is not None:
        await uow.publish(finished)
    else:
        await _schedule_chunk(draft, job.payload, uow)


async def _schedule_chunk(draft: ImportDraft, payload: dict, uow: UnitOfWork) -> None:
    """Due at once; one job id per chunk, so each chunk's job is its own, done once."""
    await uow.schedule(f"{IMPORT_CHUNK}:{draft.import_id}:{draft.done}", IMPORT_CHUNK, draft.subscription_id,
                       uow.now(), payload)
