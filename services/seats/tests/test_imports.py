"""Bulk import (R23): drafts validated, corrected without a new upload, duplicates dropped and
reported, imported only when complete, in chunks with progress, ending with the count added."""
from __future__ import annotations

import io
from datetime import timedelta

import pytest
from openpyxl import Workbook

from contracts.errors import RuleViolation
from seats import imports, users
from seats.domain.imports import ImportDraft, ImportStatus
from seats.domain.users import NewUser
from seats.importfiles import csv_template, read_rows, xlsx_template
from seats.people_store import PeopleRepository

from .conftest import T0
from .test_handlers import SID, active_pool, caller, command

IDENTITY = "https://id.example.com"


def csv_of(*lines: str) -> bytes:
    return ("email,first_name,last_name\n" + "\n".join(lines) + "\n").encode()


async def upload(seats, content: bytes, filename="users.csv") -> ImportDraft:
    return await command(seats, imports.upload, SID, filename, content, caller())


async def submit(seats, draft: ImportDraft, chunk_size=2) -> ImportDraft:
    return await command(seats, imports.submit, SID, draft.import_id, chunk_size, IDENTITY, caller())


async def read(seats, draft: ImportDraft) -> ImportDraft:
    return await command(seats, imports.read, SID, draft.import_id, caller())


async def emails(seats) -> list[str]:
    async with seats.runtime.db.connect() as conn:
        return sorted(u.email for u in await PeopleRepository(conn).users_of(SID))


async def test_R23_rows_are_validated_and_duplicates_dropped_and_reported_nothing_imported(seats):
    await active_pool(seats)
    await command(seats, users.add_users, SID, [NewUser("old@example.com", "O", "Ld")], False, IDENTITY, caller())
    draft = await upload(seats, csv_of("ann@example.com,Ann,A", "bad-address,Bob,B", "cat@example.com,,C",
                                       "ANN@example.com,Ann,Again", "old@example.com,Old,Again", ",,"))
    assert [(r.row_no, r.errors) for r in draft.incomplete] == [
        (3, ["'bad-address' is not a valid e-mail address"]), (4, ["first name is required"])]
    assert [(d.row_no, d.reason) for d in draft.dropped] == [
        (5, "duplicate of row 2"), (6, "already a user of this subscription")]
    assert draft.total == 3 and await emails(seats) == ["old@example.com"]


async def test_R23_incomplete_rows_are_corrected_without_uploading_again_then_submitted(seats):
    await active_pool(seats)
    draft = await upload(seats, csv_of("ann@example.com,Ann,A", "bad-address,Bob,B", "cat@example.com,,C"))
    with pytest.raises(RuleViolation) as refused:
        await submit(seats, draft)
    assert refused.value.rule == "R23" and "row 3" in refused.value.message
    assert await emails(seats) == []

    await command(seats, imports.correct_row, SID, draft.import_id, 3, {"email": "ann@example.com"}, caller())
    corrected = await read(seats, draft)
    assert "already a user or in another row" in corrected.incomplete[0].errors[-1]
    await command(seats, imports.correct_row, SID, draft.import_id, 3, {"email": "bob@example.com"}, caller())
    await command(seats, imports.correct_row, SID, draft.import_id, 4, {"first_name": "Cat"}, caller())
    assert (await submit(seats, draft)).status is ImportStatus.IMPORTING

    published = await seats.fire_due()
    assert await emails(seats) == ["ann@example.com", "bob@example.com", "cat@example.com"]
    [done] = [e for e in published if e["type"] == "seats.users_imported"]
    assert (done["data"]["added"], done["data"]["duplicates_dropped"]) == (3, 0)
    assert sum(e["type"] == "seats.user_invited" for e in published) == 3
    finished = await read(seats, draft)
    assert (finished.status, finished.done, finished.total) == (ImportStatus.DONE, 3, 3)
    with pytest.raises(RuleViolation) as again:
        await submit(seats, draft)
    assert again.value.rule == "R23"


async def test_R23_a_user_added_by_hand_after_the_upload_is_dropped_at_submission(seats):
    await active_pool(seats)
    draft = await upload(seats, csv_of("ann@example.com,Ann,A", "bob@example.com,Bob,B"))
    await command(seats, users.add_users, SID, [NewUser("bob@example.com", "B", "Ob")], False, IDENTITY, caller())
    await submit(seats, draft)
    [done] = [e for e in await seats.fire_due() if e["type"] == "seats.users_imported"]
    assert (done["data"]["added"], done["data"]["duplicates_dropped"]) == (1, 1)


async def test_R23_ten_thousand_rows_are_imported_in_chunks(seats):
    await active_pool(seats)
    lines = [f"user{n}@example.com,First{n},Last{n}" for n in range(10_000)]
    draft = await upload(seats, csv_of(*lines))
    assert (draft.total, draft.incomplete, draft.dropped) == (10_000, [], [])
    await submit(seats, draft, chunk_size=1000)
    published = await seats.fire_due()
    assert [e["data"]["added"] for e in published if e["type"] == "seats.users_imported"] == [10_000]
    assert len(await emails(seats)) == 10_000


def test_R23_progress_reports_done_total_and_an_estimate_from_the_rate_so_far():
    draft = ImportDraft.from_rows("i-1", SID, [(n + 2, f"u{n}@example.com", "F", "L") for n in range(100)],
                                  set(), T0)
    draft.submit(set(), T0)
    assert draft.seconds_left() is None  # no rate yet
    assert draft.record_progress(25, 25, "a-1", T0 + timedelta(seconds=10)) is None
    assert (draft.done, draft.total, draft.seconds_left()) == (25, 100, 30.0)
    finished = draft.record_progress(75, 75, "a-1", T0 + timedelta(seconds=40))
    assert (finished.added, draft.status, draft.seconds_left()) == (100, ImportStatus.DONE, None)


def test_R23_xlsx_files_and_both_templates_read_back():
    book = Workbook()
    book.active.append(["E-mail", "First name", "Last name"])
    book.active.append(["xl@example.com", "Ex", "Cel"])
    out = io.BytesIO()
    book.save(out)
    assert read_rows("people.xlsx", out.getvalue()) == [(2, "xl@example.com", "Ex", "Cel")]
    assert read_rows("t.xlsx", xlsx_template()) == read_rows("t.csv", csv_template())


def test_R23_a_file_without_the_columns_or_of_another_kind_is_refused():
    for name, content in (("a.csv", b"mail;name\nx@y.z;X\n"), ("a.pdf", b"%PDF"), ("a.xlsx", b"not a zip")):
        with pytest.raises(RuleViolation) as refused:
            read_rows(name, content)
        assert (refused.value.rule, refused.value.refusal.value) == ("R23", "invalid")
