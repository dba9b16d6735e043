"""Reading user lists from CSV and XLSX files, and the templates to fill in (R23).

A file is untrusted input: an 87 KB XLSX once unzipped to 24 MB of blank rows and froze the
service for 16 s while it was parsed on the event loop. So an upload is bounded before it is
read (`MAX_UPLOAD_BYTES`; an XLSX also by what it unzips to, `MAX_XLSX_UNCOMPRESSED_BYTES`,
and by its number of entries), reading stops past `MAX_IMPORT_ROWS` rows and `MAX_COLUMNS`
columns, and `ImportParser` parses and validates in a worker process of lower priority, so
the service keeps answering while a file of the maximum size is read.

Every cell is text a person typed: a name or an address with a control character is marked
as a row to correct (`servicekit.http.fields`), and every spreadsheet seats writes neutralises
cells that a spreadsheet would run as a formula (`spreadsheet_text`).
"""

from __future__ import annotations

import asyncio
import contextlib
import csv
import io
import json
import logging
import multiprocessing
import os
import pickle
import re
import zipfile
from concurrent.futures import ProcessPoolExecutor
from concurrent.futures.process import BrokenProcessPool
from dataclasses import dataclass, replace
from datetime import datetime

from openpyxl import Workbook, load_workbook

from contracts.errors import Refusal, RuleViolation
from seats.domain.imports import ImportDraft
from seats.domain.users import email_problem
from servicekit.http.fields import email_address, single_line

log = logging.getLogger("seats.importfiles")  # the name it logged under before the move

COLUMNS = ("email", "first_name", "last_name")
EXAMPLE = ("ada@example.com", "Ada", "Lovelace")
HEADER_NAMES = {
    "email": "email",
    "e_mail": "email",
    "mail": "email",
    "email_address": "email",
    "first_name": "first_name",
    "firstname": "first_name",
    "given_name": "first_name",
    "prenom": "first_name",
    "last_name": "last_name",
    "lastname": "last_name",
    "surname": "last_name",
    "family_name": "last_name",
    "nom": "last_name",
}
MAX_IMPORT_ROWS = 50_000  # rows under the header, blank ones included
MAX_UPLOAD_BYTES = 10 * 1024 * 1024  # the file as sent (50,000 rows take about 4 MB of CSV, 1 MB of XLSX)
MAX_XLSX_UNCOMPRESSED_BYTES = 20 * 1024 * 1024  # what an XLSX unzips to (50,000 rows: about 12 MB)
MAX_XLSX_ENTRIES = 1000
MAX_COLUMNS = 50  # the three columns are looked for among the first 50
SUMMARY_ROWS = 100  # rows an answer shows of a list (the rest: GET .../rows)
ROW_BATCH = 500  # rows written to the draft per INSERT: ~10 ms of the event loop
PARSER_NICENESS = 10  # the parser process yields the CPU to the service

# OWASP, CSV injection: a cell starting with one of these is run as a formula by spreadsheets.
FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")

Row = tuple[int, str, str, str]  # line number in the file, e-mail, first name, last name


def spreadsheet_text(value: str) -> str:
    """Text as a spreadsheet shows it, never as a formula it runs: OWASP's advice, a leading
    apostrophe, for a cell that starts with `=`, `+`, `-`, `@`, a tab or a carriage return."""
    return f"'{value}" if value.startswith(FORMULA_STARTS) else value


def csv_template(rows: list[tuple[str, ...]] | None = None) -> bytes:
    out = io.StringIO()
    csv.writer(out).writerows([COLUMNS] + [tuple(spreadsheet_text(c) for c in r) for r in (rows or [EXAMPLE])])
    return out.getvalue().encode()


def xlsx_template(rows: list[tuple[str, ...]] | None = None) -> bytes:
    book = Workbook()
    sheet = book.active
    sheet.title = "users"
    for row in [COLUMNS, *(rows or [EXAMPLE])]:
        sheet.append([spreadsheet_text(c) for c in row])
    for line in sheet.iter_rows():
        for cell in line:
            cell.data_type = "s"  # openpyxl would store a text starting with "=" as a formula
    out = io.BytesIO()
    book.save(out)
    return out.getvalue()


def read_rows(filename: str, content: bytes) -> list[Row]:
    """The rows under the header, blank lines skipped; refused if the file cannot be read or
    passes a limit."""
    if len(content) > MAX_UPLOAD_BYTES:
        raise _too_large(f"the file is larger than {MAX_UPLOAD_BYTES // (1024 * 1024)} MB")
    if filename.lower().endswith(".xlsx"):
        lines = _xlsx_lines(content)
    elif filename.lower().endswith((".csv", ".txt")):
        lines = _csv_lines(content)
    else:
        raise _unreadable("send a .csv or .xlsx file")
    return _rows(lines)


def row_problems_at_the_edge(email: str, first_name: str, last_name: str) -> list[str]:
    """What `servicekit.http.fields` finds wrong with a row: one real e-mail address (its parser, not
    a pattern) and names on one line, without control characters (issue 11: a line break in a
    name once stalled every tenant's e-mail)."""
    problems = []
    if email and email_problem(email) is None:  # what the domain's own check refuses it reports itself
        try:
            email_address(email)
        except ValueError as error:
            problems.append(f"email {error}")
    for label, value in (("first name", first_name), ("last name", last_name)):
        try:
            single_line(value)
        except ValueError as error:
            problems.append(f"{label} {error}")
    return problems


def _csv_lines(content: bytes) -> list[list[str]]:
    try:
        text = content.decode("utf-8-sig")
    except UnicodeDecodeError:
        text = content.decode("cp1252", errors="replace")
    dialect: type[csv.Dialect] = csv.excel
    with contextlib.suppress(csv.Error):  # not sniffed: the excel dialect
        dialect = csv.Sniffer().sniff(text[:4096], delimiters=",;\t")
    lines = []
    try:
        for line in csv.reader(io.StringIO(text), dialect):
            lines.append(line[:MAX_COLUMNS])
            _ensure_few_lines(len(lines))
    except csv.Error as error:
        raise _unreadable(f"the CSV cannot be read ({error})") from error
    return lines


def _xlsx_lines(content: bytes) -> list[list[str]]:
    _ensure_small_when_unzipped(content)
    try:
        book = load_workbook(io.BytesIO(content), read_only=True, data_only=True)
    except Exception as error:  # openpyxl raises several types for a damaged file
        raise _unreadable(f"the spreadsheet cannot be opened ({type(error).__name__})") from error
    try:
        lines = []
        for row in book.worksheets[0].iter_rows(values_only=True, max_col=MAX_COLUMNS):
            lines.append(["" if v is None else str(v) for v in row])
            _ensure_few_lines(len(lines))
        return lines
    except RuleViolation:
        raise
    except Exception as error:
        raise _unreadable(f"the spreadsheet cannot be read ({type(error).__name__})") from error
    finally:
        book.close()


def _ensure_small_when_unzipped(content: bytes) -> None:
    """An XLSX is a zip: what its directory declares bounds what it unzips to (Python's zipfile
    never returns more than an entry declares), so a zip bomb is refused before it is opened."""
    try:
        entries = zipfile.ZipFile(io.BytesIO(content)).infolist()
    except (zipfile.BadZipFile, ValueError, OSError) as error:
        raise _unreadable(f"the spreadsheet cannot be opened ({type(error).__name__})") from error
    if len(entries) > MAX_XLSX_ENTRIES:
        raise _too_large(f"the spreadsheet holds more than {MAX_XLSX_ENTRIES} parts")
    if sum(e.file_size for e in entries) > MAX_XLSX_UNCOMPRESSED_BYTES:
        raise _too_large(f"the spreadsheet unzips to more than {MAX_XLSX_UNCOMPRESSED_BYTES // (1024 * 1024)} MB")


def _ensure_few_lines(read: int) -> None:
    if read > MAX_IMPORT_ROWS + 1:  # the header, then the rows
        raise _too_large(
            f"it has more than {MAX_IMPORT_ROWS:,} rows under the header (blank rows count); "
            "split it into several imports"
        )


def _rows(lines: list[list[str]]) -> list[Row]:
    if not lines:
        raise _unreadable("the file is empty")
    positions = _header_positions(lines[0])
    rows = []
    for line_no, line in enumerate(lines[1:], start=2):
        cells = {name: (line[i].strip() if i < len(line) else "") for name, i in positions.items()}
        if any(cells.values()):
            rows.append((line_no, cells["email"], cells["first_name"], cells["last_name"]))
    return rows


def _header_positions(header: list[str]) -> dict[str, int]:
    positions: dict[str, int] = {}
    for i, title in enumerate(header):
        key = re.sub(r"[^a-z]+", "_", str(title).strip().lower().replace("é", "e")).strip("_")
        if (name := HEADER_NAMES.get(key)) and name not in positions:
            positions[name] = i
    if missing := [c for c in COLUMNS if c not in positions]:
        raise _unreadable(f"the header row lacks {', '.join(missing)} (use the template: {', '.join(COLUMNS)})")
    return positions


def _unreadable(why: str) -> RuleViolation:
    return RuleViolation(
        "unreadable_import", f"The file cannot be imported: {why}.", rule="R23", refusal=Refusal.INVALID
    )


def _too_large(why: str) -> RuleViolation:
    return RuleViolation(
        "import_too_large", f"The file cannot be imported: {why}.", rule="R23", refusal=Refusal.INVALID
    )


# -- parsing off the event loop ---------------------------------------------------------------


@dataclass(frozen=True)
class ParsedImport:
    """A draft as the parser made it, ready to store: `summary` holds the counts, the first
    incomplete rows and the first duplicates (what the answer shows); the rows themselves
    travel as pickled batches, unpickled one at a time as they are written, so that turning
    50,000 rows into objects never holds the event loop."""

    summary: ImportDraft
    row_batches: list[bytes]  # pickled lists of (row number, e-mail, first name, last name, errors JSON)
    dropped_json: str


def parse_import(
    import_id: str, subscription_id: str, filename: str, content: bytes, listed_emails: set[str], at: datetime
) -> ParsedImport:
    """Read, validate and de-duplicate a file into a draft (R23). Runs in the parser process."""
    draft = ImportDraft.from_rows(
        import_id, subscription_id, read_rows(filename, content), listed_emails, at, check=row_problems_at_the_edge
    )
    rows = [(r.row_no, r.email, r.first_name, r.last_name, json.dumps(r.errors)) for r in draft.rows]
    batches = [pickle.dumps(rows[i : i + ROW_BATCH]) for i in range(0, len(rows), ROW_BATCH)]
    incomplete = draft.incomplete
    summary = replace(
        draft,
        rows=incomplete[:SUMMARY_ROWS],
        dropped=draft.dropped[:SUMMARY_ROWS],
        row_count=len(draft.rows),
        incomplete_count=len(incomplete),
        dropped_count=len(draft.dropped),
    )
    return ParsedImport(summary, batches, json.dumps([vars(d) for d in draft.dropped]))


@dataclass(frozen=True)
class _Refused:
    """A refusal, as it crosses back from the parser process (an exception with keyword-only
    arguments does not survive pickling)."""

    code: str
    message: str
    rule: str | None
    refusal: Refusal


def _parse_in_worker(*arguments) -> ParsedImport | _Refused:
    try:
        return parse_import(*arguments)
    except RuleViolation as refused:
        return _Refused(refused.code, refused.message, refused.rule, refused.refusal)


def row_batch(batch: bytes) -> list[tuple[int, str, str, str, str]]:
    """Rows as the draft table stores them: row number, e-mail, names, errors as JSON."""
    return pickle.loads(batch)


class ImportParser:
    """Parses uploads in one worker process, started at the first upload, at a lower priority:
    the parse is CPU-bound (openpyxl and the e-mail parser are pure Python), and in a thread it
    would take the GIL from the event loop. Uploads queue for the one worker."""

    def __init__(self, in_process: bool = True) -> None:
        self._in_process = in_process
        self._pool: ProcessPoolExecutor | None = None

    async def parse(
        self, import_id: str, subscription_id: str, filename: str, content: bytes, listed_emails: set[str], at: datetime
    ) -> ParsedImport:
        arguments = (import_id, subscription_id, filename, content, listed_emails, at)
        if not self._in_process:
            return await asyncio.to_thread(parse_import, *arguments)
        try:
            outcome = await asyncio.get_running_loop().run_in_executor(self._worker(), _parse_in_worker, *arguments)
        except BrokenProcessPool:  # the worker died (killed, out of memory): a new one next time
            log.warning("import parser process died; starting a new one for the next upload")
            self.close()
            raise
        if isinstance(outcome, _Refused):
            raise RuleViolation(outcome.code, outcome.message, rule=outcome.rule, refusal=outcome.refusal)
        return outcome

    def _worker(self) -> ProcessPoolExecutor:
        if self._pool is None:
            # spawn: a fork of a process running threads (the database driver's) may deadlock
            self._pool = ProcessPoolExecutor(
                max_workers=1,
                mp_context=multiprocessing.get_context("spawn"),
                initializer=os.nice,
                initargs=(PARSER_NICENESS,),
            )
        return self._pool

    def close(self) -> None:
        if self._pool is not None:
            self._pool.shutdown(wait=False, cancel_futures=True)
            self._pool = None
