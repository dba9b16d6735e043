"""Bulk import of users (R23): a draft of validated rows, corrected in place, duplicates
dropped and reported, imported in chunks only once every row is complete, with progress.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime
from enum import Enum

from contracts.errors import Refusal, RuleViolation, not_found
from contracts.seats import UsersImported
from seats.domain.users import NewUser, normalise_email, row_problems

# What an adapter finds wrong with a row (e-mail, first name, last name) beyond the rules
# here, e.g. control characters or an address its parser refuses; it stays pure to the domain.
RowCheck = Callable[[str, str, str], list[str]]


class ImportStatus(str, Enum):
    DRAFT = "draft"
    IMPORTING = "importing"
    DONE = "done"


@dataclass
class ImportRow:
    row_no: int  # the row's line in the file, the header being line 1
    email: str
    first_name: str
    last_name: str
    errors: list[str] = field(default_factory=list)

    def validate(self, check: RowCheck | None = None) -> None:
        found = row_problems(self.email, self.first_name, self.last_name)
        if check is not None:
            found += [p for p in check(self.email, self.first_name, self.last_name) if p not in found]
        self.errors = found

    @property
    def new_user(self) -> NewUser:
        return NewUser(self.email, self.first_name.strip(), self.last_name.strip())


@dataclass(frozen=True)
class DroppedRow:
    row_no: int
    email: str
    reason: str


@dataclass
class ImportDraft:
    import_id: str
    subscription_id: str
    created_at: datetime
    rows: list[ImportRow]
    dropped: list[DroppedRow] = field(default_factory=list)
    status: ImportStatus = ImportStatus.DRAFT
    submitted_at: datetime | None = None
    done: int = 0
    added: int = 0
    finished_at: datetime | None = None
    progressed_at: datetime | None = None
    # A large draft is read in part: `rows` then holds the rows from position `rows_from` on
    # (a chunk being imported, or none), and the counts say what the whole draft holds.
    rows_from: int = 0
    row_count: int | None = None
    incomplete_count: int | None = None
    dropped_count: int | None = None  # `dropped` then holds the first of them

    @classmethod
    def from_rows(
        cls,
        import_id: str,
        subscription_id: str,
        raw: list[tuple[int, str, str, str]],
        listed_emails: set[str],
        at: datetime,
        check: RowCheck | None = None,
    ) -> ImportDraft:
        """R23: every row validated, duplicates (in the file or already users) dropped and reported."""
        if not raw:
            raise RuleViolation(
                "empty_import", "The file has no rows under its header.", rule="R23", refusal=Refusal.INVALID
            )
        draft = cls(import_id, subscription_id, at, rows=[])
        for row_no, email, first_name, last_name in raw:
            row = ImportRow(row_no, normalise_email(email), (first_name or "").strip(), (last_name or "").strip())
            row.validate(check)
            draft.rows.append(row)
        draft.drop_duplicates(listed_emails)
        return draft

    @property
    def incomplete(self) -> list[ImportRow]:
        """The incomplete rows among those read."""
        return [r for r in self.rows if r.errors]

    @property
    def total(self) -> int:
        return self.row_count if self.row_count is not None else len(self.rows)

    @property
    def incomplete_total(self) -> int:
        return self.incomplete_count if self.incomplete_count is not None else len(self.incomplete)

    @property
    def dropped_total(self) -> int:
        return self.dropped_count if self.dropped_count is not None else len(self.dropped)

    def drop_duplicates(self, listed_emails: set[str]) -> list[DroppedRow]:
        seen: dict[str, int] = {}
        kept, dropped = [], []
        for row in self.rows:
            if row.email and row.email in listed_emails:
                dropped.append(DroppedRow(row.row_no, row.email, "already a user of this subscription"))
            elif row.email and row.email in seen:
                dropped.append(DroppedRow(row.row_no, row.email, f"duplicate of row {seen[row.email]}"))
            else:
                if row.email:
                    seen[row.email] = row.row_no
                kept.append(row)
        self.rows, self.dropped = kept, self.dropped + dropped
        if self.row_count is not None:  # a draft read in part: the counts follow
            self.row_count -= len(dropped)
        if self.dropped_count is not None:
            self.dropped_count += len(dropped)
        return dropped

    def correct(
        self,
        row_no: int,
        listed_emails: set[str],
        *,
        email: str | None = None,
        first_name: str | None = None,
        last_name: str | None = None,
        check: RowCheck | None = None,
    ) -> ImportRow:
        """R23: a row is corrected in the draft, without uploading the file again."""
        self._ensure_draft()
        row = next((r for r in self.rows if r.row_no == row_no), None)
        if row is None:
            raise not_found("import row", str(row_no))
        row.email = normalise_email(email) if email is not None else row.email
        row.first_name = first_name.strip() if first_name is not None else row.first_name
        row.last_name = last_name.strip() if last_name is not None else row.last_name
        row.validate(check)
        if row.email and self._clashes(row, listed_emails):
            row.errors.append(f"{row.email} is already a user or in another row")
        return row

    def _clashes(self, row: ImportRow, listed_emails: set[str]) -> bool:
        return row.email in listed_emails or any(r.email == row.email for r in self.rows if r is not row)

    def submit(self, listed_emails: set[str], at: datetime) -> list[DroppedRow]:
        """R23: nothing is imported until every row is complete; users added since the upload
        are dropped as duplicates now."""
        self._ensure_draft()
        if bad := self.incomplete:
            count = self.incomplete_total
            listing = "; ".join(f"row {r.row_no}: {', '.join(r.errors)}" for r in bad[:20])
            more = f" (and {count - min(len(bad), 20)} more)" if count > 20 else ""
            raise RuleViolation(
                "import_incomplete", f"{count} rows need correcting before the import: {listing}{more}.", rule="R23"
            )
        dropped = self.drop_duplicates(listed_emails)
        self.status, self.submitted_at, self.progressed_at = ImportStatus.IMPORTING, at, at
        return dropped

    def next_chunk(self, size: int) -> list[ImportRow]:
        if self.status is not ImportStatus.IMPORTING:
            return []
        start = self.done - self.rows_from
        return self.rows[start : start + size]

    def record_progress(self, processed: int, added: int, account_id: str, at: datetime) -> UsersImported | None:
        """Counts the rows of a chunk (a row whose user was added meanwhile is processed, not
        added); the last chunk ends the import with the count of users added (R23)."""
        self.done, self.added, self.progressed_at = self.done + processed, self.added + added, at
        if self.done < self.total:
            return None
        self.status, self.finished_at = ImportStatus.DONE, at
        return UsersImported(
            subscription_id=self.subscription_id,
            account_id=account_id,
            import_id=self.import_id,
            added=self.added,
            duplicates_dropped=self.dropped_total + self.done - self.added,
            imported_at=at,
        )

    def seconds_left(self) -> float | None:
        """R23: the rate so far (on the injected clock) applied to the rows still to go."""
        if (
            self.status is not ImportStatus.IMPORTING
            or not self.done
            or self.progressed_at is None
            or self.submitted_at is None
        ):
            return None
        elapsed = (self.progressed_at - self.submitted_at).total_seconds()
        if elapsed <= 0:
            return None
        return round((self.total - self.done) * elapsed / self.done, 1)

    def _ensure_draft(self) -> None:
        if self.status is not ImportStatus.DRAFT:
            raise RuleViolation(
                "import_submitted", f"This import is {self.status.value}; start a new one to change it.", rule="R23"
            )
