"""Reading user lists from CSV and XLSX files, and the templates to fill in (R23)."""
from __future__ import annotations

import csv
import io
import re

from openpyxl import Workbook, load_workbook

from contracts.errors import Refusal, RuleViolation

COLUMNS = ("email", "first_name", "last_name")
EXAMPLE = ("ada@example.com", "Ada", "Lovelace")
HEADER_NAMES = {
    "email": "email", "e_mail": "email", "mail": "email", "email_address": "email",
    "first_name": "first_name", "firstname": "first_name", "given_name": "first_name", "prenom": "first_name",
    "last_name": "last_name", "lastname": "last_name", "surname": "last_name", "family_name": "last_name",
    "nom": "last_name",
}
MAX_BYTES = 20 * 1024 * 1024

Row = tuple[int, str, str, str]  # line number in the file, e-mail, first name, last name


def csv_template() -> bytes:
    out = io.StringIO()
    csv.writer(out).writerows([COLUMNS, EXAMPLE])
    return out.getvalue().encode()


def xlsx_template() -> bytes:
    book = Workbook()
    sheet = book.active
    sheet.title = "users"
    sheet.append(COLUMNS)
    sheet.append(EXAMPLE)
    out = io.BytesIO()
    book.save(out)
    return out.getvalue()


def read_rows(filename: str, content: bytes) -> list[Row]:
    """The rows under the header, blank lines skipped; refused if the file cannot be read."""
    if len(content) > MAX_BYTES:
        raise _unreadable(f"the file is larger than {MAX_BYTES // (1024 * 1024)} MB")
    if filename.lower().endswith(".xlsx"):
        lines = _xlsx_lines(content)
    elif filename.lower().endswith((".csv", ".txt")):
        lines = _csv_lines(content)
    else:
        raise _unreadable("send a .csv or .xlsx file")
    return _rows(lines)


def _csv_lines(content: bytes) -> list[list[str]]:
    try:
        text = content.decode("utf-8-sig")
    except UnicodeDecodeError:
        text = content.decode("cp1252", errors="replace")
    dialect = csv.excel
    try:
        dialect = csv.Sniffer().sniff(text[:4096], delimiters=",;\t")
    except csv.Error:
        pass
    return [list(line) for line in csv.reader(io.StringIO(text), dialect)]


def _xlsx_lines(content: bytes) -> list[list[str]]:
    try:
        book = load_workbook(io.BytesIO(content), read_only=True, data_only=True)
    except Exception as error:  # openpyxl raises several types for a damaged file
        raise _unreadable(f"the spreadsheet cannot be opened ({type(error).__name__})") from error
    sheet = book.worksheets[0]
    lines = [["" if v is None else str(v) for v in row] for row in sheet.iter_rows(values_only=True)]
    book.close()
    return lines


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
        raise _unreadable(f"the header row lacks {', '.join(missing)} (use the template: "
                          f"{', '.join(COLUMNS)})")
    return positions


def _unreadable(why: str) -> RuleViolation:
    return RuleViolation("unreadable_import", f"The file cannot be imported: {why}.", rule="R23",
                         refusal=Refusal.INVALID)
