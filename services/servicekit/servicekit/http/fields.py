"""Text a person types, validated at the HTTP edge before anything keeps it.

A name, a company, a reason or an e-mail address typed into a request can later reach an
e-mail header, a file name, a log line or a spreadsheet. A line break there splits a header
(one customer's CR/LF once stalled every tenant's e-mail); a second address in an address
field sends mail to someone nobody chose. So request models use these types instead of a
bare `str`:

- `Line`: one line of text: trimmed, no control characters at all, bounded.
- `Paragraph`: free text that may span lines (a description): only tab and line feed allowed.
- `EmailAddress`: exactly one address, no display name, checked by `email-validator` (the
  parser the field uses, not a regex) and lower-cased, as every service stores them.

The plain functions (`single_line`, `email_address`) do the same for text that arrives by
another way than a request model (an imported spreadsheet row).
"""

from __future__ import annotations

import re
from typing import Annotated

from email_validator import EmailNotValidError, validate_email
from pydantic import AfterValidator, BeforeValidator, Field

# C0 and C1 controls, DEL, and the Unicode line and paragraph separators.
_CONTROLS = re.compile(r"[\x00-\x1f\x7f-\x9f\u2028\u2029]")
_CONTROLS_BUT_TAB_AND_NEWLINE = re.compile(r"[\x00-\x08\x0b-\x1f\x7f-\x9f\u2028\u2029]")
MAX_EMAIL_LENGTH = 254  # RFC 5321's limit on a forward path, less the angle brackets


def single_line(text: str) -> str:
    """The text trimmed; ValueError if it holds a control character (a line break, a tab, NUL)."""
    if _CONTROLS.search(text):
        raise ValueError("must be one line of text, without line breaks or control characters")
    return text.strip()


def paragraph(text: str) -> str:
    if _CONTROLS_BUT_TAB_AND_NEWLINE.search(text.replace("\r\n", "\n")):
        raise ValueError("must not contain control characters")
    return text.replace("\r\n", "\n").strip()


def email_address(text: str) -> str:
    """One e-mail address, lower-cased; ValueError naming what is wrong otherwise.

    No DNS lookup (an address may be checked offline), and special-use domains such as
    `.local` or `.test` are refused: nothing can be delivered there."""
    if _CONTROLS.search(text):
        raise ValueError("must be one e-mail address, without line breaks or control characters")
    try:
        checked = validate_email(text.strip(), check_deliverability=False, allow_display_name=False)
    except EmailNotValidError as error:
        raise ValueError(f"must be one e-mail address ({error})") from error
    return checked.normalized.lower()


def _text(value: object) -> str:
    """A number or a list where text is expected is refused, not turned into text."""
    if not isinstance(value, str):
        raise ValueError("must be text")
    return value


Line = Annotated[str, BeforeValidator(lambda value: single_line(_text(value)))]
"""One line of text, trimmed; give its bounds with `Field(min_length=..., max_length=...)`,
which apply to the trimmed text."""

Paragraph = Annotated[str, BeforeValidator(lambda value: paragraph(_text(value)))]
"""Text that may span lines (tab and line feed only; CR LF becomes LF), trimmed."""

EmailAddress = Annotated[
    str,
    BeforeValidator(_text),
    Field(max_length=MAX_EMAIL_LENGTH, json_schema_extra={"format": "email"}),
    AfterValidator(email_address),
]
"""Exactly one address, e.g. `ada@example.com` (a display name, a list or a line break is refused)."""
