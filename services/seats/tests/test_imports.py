"""Bulk import (R23): drafts validated, corrected without a new upload, duplicates dropped and
reported, imported only when complete, in chunks with progress, ending with the count added."""

from __future__ import annotations

import csv
import io
import zipfile
from datetime import timedelta

import pytest
from openpyxl import Workbook, load_workbook
from sqlalchemy import func, select

from contracts.errors import RuleViolation
from contracts.testing import SUBSCRIPTION_ID
from seats.adapters.importfiles import ImportParser, csv_template, read_rows, spreadsheet_text, xlsx_template
from seats.domain.imports import ImportDraft, ImportStatus
from seats.domain.users import NewUser
from seats.handlers import imports, users
from seats.store.tables import user_imports
from servicekit.http.pagination import PageRequest, decode_cursor, encode_cursor

from .conftest import T0
from .test_handlers import active_pool, caller, command

IDENTITY = "https://id.example.com"
INVITATIONS = users.Invitations(IDENTITY)
IN_THIS_PROCESS = ImportParser(in_process=False)  # a thread: no process to start or stop


def csv_of(*lines: str) -> bytes:
    return ("email,first_name,last_name\n" + "\n".join(lines) + "\n").encode()


async def upload(seats, content: bytes, filename="users.csv", parser: ImportParser = IN_THIS_PROCESS) -> ImportDraft:
    """As the route does it: who asks, then the parse outside any transaction, then the draft stored."""
    async with seats.uow() as uow:
        listed = await imports.may_upload(SUBSCRIPTION_ID, caller(), uow)
    parsed = await imports.parse(parser, SUBSCRIPTION_ID, filename, content, listed, seats.clock.now())
    return await command(seats, imports.store, SUBSCRIPTION_ID, parsed, caller())


async def submit(seats, draft: ImportDraft, chunk_size=2) -> ImportDraft:
    return await command(seats, imports.submit, SUBSCRIPTION_ID, draft.import_id, chunk_size, INVITATIONS, caller())


async def read(seats, draft: ImportDraft) -> ImportDraft:
    return await command(seats, imports.read, SUBSCRIPTION_ID, draft.import_id, caller())


async def emails(seats) -> list[str]:
    async with seats.uow() as uow:
        return sorted(u.email for u in await uow.users.users_of(SUBSCRIPTION_ID))


async def test_R23_rows_are_validated_and_duplicates_dropped_and_reported_nothing_imported(seats):
    await active_pool(seats)
    await command(
        seats, users.add_users, SUBSCRIPTION_ID, [NewUser("old@example.com", "O", "Ld")], False, INVITATIONS, caller()
    )
    draft = await upload(
        seats,
        csv_of(
            "ann@example.com,Ann,A",
            "bad-address,Bob,B",
            "cat@example.com,,C",
            "ANN@example.com,Ann,Again",
            "old@example.com,Old,Again",
            ",,",
        ),
    )
    assert [(r.row_no, r.errors) for r in draft.incomplete] == [
        (3, ["'bad-address' is not a valid e-mail address"]),
        (4, ["first name is required"]),
    ]
    assert [(d.row_no, d.reason) for d in draft.dropped] == [
        (5, "duplicate of row 2"),
        (6, "already a user of this subscription"),
    ]
    assert draft.total == 3 and await emails(seats) == ["old@example.com"]


async def test_R23_incomplete_rows_are_corrected_without_uploading_again_then_submitted(seats):
    await active_pool(seats)
    draft = await upload(seats, csv_of("ann@example.com,Ann,A", "bad-address,Bob,B", "cat@example.com,,C"))
    with pytest.raises(RuleViolation) as refused:
        await submit(seats, draft)
    assert refused.value.rule == "R23" and "row 3" in refused.value.message
    assert await emails(seats) == []

    await command(
        seats, imports.correct_row, SUBSCRIPTION_ID, draft.import_id, 3, {"email": "ann@example.com"}, caller()
    )
    corrected = await read(seats, draft)
    assert "already a user or in another row" in corrected.incomplete[0].errors[-1]
    await command(
        seats, imports.correct_row, SUBSCRIPTION_ID, draft.import_id, 3, {"email": "bob@example.com"}, caller()
    )
    await command(seats, imports.correct_row, SUBSCRIPTION_ID, draft.import_id, 4, {"first_name": "Cat"}, caller())
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
    await command(
        seats, users.add_users, SUBSCRIPTION_ID, [NewUser("bob@example.com", "B", "Ob")], False, INVITATIONS, caller()
    )
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
    for _ in range(10):  # the account invites at most 2,000 an hour: the import goes on hour by hour
        if any(e["type"] == "seats.users_imported" for e in published):
            break
        seats.clock.advance(timedelta(hours=1))
        published += await seats.fire_due()
    assert [e["data"]["added"] for e in published if e["type"] == "seats.users_imported"] == [10_000]
    assert len(await emails(seats)) == 10_000


def test_R23_progress_reports_done_total_and_an_estimate_from_the_rate_so_far():
    draft = ImportDraft.from_rows(
        "i-1", SUBSCRIPTION_ID, [(n + 2, f"u{n}@example.com", "F", "L") for n in range(100)], set(), T0
    )
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


# -- issue 11: bounded files, parsed off the event loop, neutralised templates, bounded e-mail ----


def xlsx_of(*rows, blank_rows: int = 0) -> bytes:
    book = Workbook(write_only=True)
    sheet = book.create_sheet("users")
    sheet.append(["email", "first_name", "last_name"])
    for row in rows:
        sheet.append(list(row))
    for _ in range(blank_rows):
        sheet.append([None, None, None])
    out = io.BytesIO()
    book.save(out)
    return out.getvalue()


def refused_reading(name: str, content: bytes) -> RuleViolation:
    with pytest.raises(RuleViolation) as refused:
        read_rows(name, content)
    return refused.value


def test_R23_a_blank_200000_row_sheet_is_refused_once_past_50000_rows():
    content = xlsx_of(blank_rows=200_000)  # the 87 KB file that froze seats for 16 s
    refused = refused_reading("blank.xlsx", content)
    assert (refused.code, refused.refusal.value, refused.rule) == ("import_too_large", "invalid", "R23")
    assert "more than 50,000 rows" in refused.message
    refused = refused_reading("many.csv", csv_of(*[f"u{n}@example.com,F,L" for n in range(50_001)]))
    assert refused.code == "import_too_large"
    assert len(read_rows("max.csv", csv_of(*[f"u{n}@example.com,F,L" for n in range(50_000)]))) == 50_000


def test_R23_a_zip_bomb_is_refused_by_what_it_declares_before_it_is_opened():
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as bomb:
        bomb.writestr("xl/worksheets/sheet1.xml", b"0" * (21 * 1024 * 1024))  # 21 MB in about 20 KB
    assert len(out.getvalue()) < 100_000
    refused = refused_reading("bomb.xlsx", out.getvalue())
    assert refused.code == "import_too_large" and "unzips to more than 20 MB" in refused.message
    refused = refused_reading("big.csv", b"email,first_name,last_name\n" + b"x" * (10 * 1024 * 1024))
    assert refused.code == "import_too_large" and "larger than 10 MB" in refused.message


async def test_R23_a_file_past_a_limit_stores_nothing(seats):
    await active_pool(seats)
    with pytest.raises(RuleViolation) as refused:
        await upload(seats, xlsx_of(blank_rows=60_000), "blank.xlsx")
    assert refused.value.code == "import_too_large"
    async with seats.runtime.db.connect() as conn:
        assert (await conn.execute(select(func.count()).select_from(user_imports))).scalar() == 0


async def test_R23_the_parser_process_reads_a_file_and_sends_refusals_back_as_refusals(seats):
    await active_pool(seats)
    parser = ImportParser()  # the worker process the service uses
    try:
        draft = await upload(seats, xlsx_of(("xl@example.com", "Ex", "Cel")), "people.xlsx", parser)
        assert (draft.total, draft.incomplete) == (1, [])
        with pytest.raises(RuleViolation) as refused:
            await upload(seats, b"not a spreadsheet", "people.xlsx", parser)
        assert (refused.value.code, refused.value.rule) == ("unreadable_import", "R23")
    finally:
        parser.close()


async def test_R23_control_characters_and_address_lists_in_a_file_are_rows_to_correct(seats):
    """Issue 11: a name with a line break once stalled every tenant's e-mail."""
    await active_pool(seats)
    content = (
        b'email,first_name,last_name\n"ann@example.com","Ann\rBcc: x@evil.example","A"\n'
        b'"a@example.com, b@example.com",Bob,B\n"cat@example.com",Cat,"C\x0bD"\n'
    )
    draft = await upload(seats, content)
    problems = {r.row_no: " ".join(r.errors) for r in draft.incomplete}
    assert sorted(problems) == [2, 3, 4]
    assert "first name must be one line" in problems[2] and "last name must be one line" in problems[4]
    assert "not a valid e-mail address" in problems[3]
    await command(
        seats, imports.correct_row, SUBSCRIPTION_ID, draft.import_id, 3, {"email": "bob@example.com"}, caller()
    )
    still = await command(
        seats, imports.correct_row, SUBSCRIPTION_ID, draft.import_id, 2, {"last_name": "Ann"}, caller()
    )
    assert [r.row_no for r in still.incomplete] == [2, 4]  # correcting another field keeps the line break refused
    await command(seats, imports.correct_row, SUBSCRIPTION_ID, draft.import_id, 2, {"first_name": "Ann"}, caller())
    done = await command(seats, imports.correct_row, SUBSCRIPTION_ID, draft.import_id, 4, {"last_name": "C"}, caller())
    assert done.incomplete == [] and done.incomplete_total == 0


def test_R23_templates_neutralise_cells_a_spreadsheet_would_run_as_formulas():
    dangerous = ('=HYPERLINK("http://evil.example")', "+1+2", "@SUM(A1)")
    written = list(csv.reader(io.StringIO(csv_template([dangerous]).decode())))
    assert written[1] == ["'" + v for v in dangerous]
    book = load_workbook(io.BytesIO(xlsx_template([dangerous])))
    cells = list(next(book.active.iter_rows(min_row=2, max_row=2)))
    assert [c.value for c in cells] == ["'" + v for v in dangerous]
    assert {c.data_type for c in cells} == {"s"}  # text, not formulas
    assert [spreadsheet_text(v) for v in ("-1", "\tx", "\rx", "ada", "")] == ["'-1", "'\tx", "'\rx", "ada", ""]
    assert (
        read_rows("t.xlsx", xlsx_template())
        == read_rows("t.csv", csv_template())
        == [(2, "ada@example.com", "Ada", "Lovelace")]
    )


async def test_R22_an_import_invites_within_the_accounts_hourly_limit_and_waits_for_the_next_hour(seats):
    await active_pool(seats)
    draft = await upload(seats, csv_of(*[f"u{n}@example.com,F{n},L{n}" for n in range(5)]))
    await command(seats, imports.submit, SUBSCRIPTION_ID, draft.import_id, 2, users.Invitations(IDENTITY, 3), caller())
    first_hour = await seats.fire_due()
    assert sum(e["type"] == "seats.user_invited" for e in first_hour) == 3
    assert (await read(seats, draft)).done == 3
    seats.clock.advance(timedelta(minutes=30))
    assert await seats.fire_due() == []  # the limit holds for the rest of the hour
    seats.clock.set(T0.replace(minute=0) + timedelta(hours=1))
    next_hour = await seats.fire_due()
    assert sum(e["type"] == "seats.user_invited" for e in next_hour) == 2
    assert [e["data"]["added"] for e in next_hour if e["type"] == "seats.users_imported"] == [5]


async def test_R23_the_rows_of_a_large_draft_are_read_a_page_at_a_time(seats):
    await active_pool(seats)
    lines = [f"u{n}@example.com,F{n},{'' if n % 3 == 0 else 'L'}" for n in range(300)]
    draft = await upload(seats, csv_of(*lines))
    assert (draft.total, draft.incomplete_total, len(draft.incomplete)) == (300, 100, 100)
    seen, cursor = [], None
    while True:
        page = PageRequest(120, decode_cursor(cursor) if cursor else None)
        rows = await command(seats, imports.rows, SUBSCRIPTION_ID, draft.import_id, False, page, caller())
        seen += [r.row_no for r in rows[:120]]
        if len(rows) <= 120:
            break
        cursor = encode_cursor((rows[119].row_no,))
    assert seen == list(range(2, 302))
    only_incomplete = await command(
        seats, imports.rows, SUBSCRIPTION_ID, draft.import_id, True, PageRequest(500, None), caller()
    )
    assert len(only_incomplete) == 100 and all(r.errors for r in only_incomplete)
