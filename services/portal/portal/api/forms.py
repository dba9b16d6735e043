"""What every page's forms share: the Idempotency-Key a command form carries, the portal's own
refusals (shown like a service's, worded in `rendering.PROBLEMS`), which upstream refusals a
page shows and which go to the error pages, and the checks of typed text at the edge."""

from __future__ import annotations

import re
from collections.abc import Mapping
from typing import Any

from portal.adapters.rendering import FIELD_PROBLEMS
from portal.adapters.upstream import UpstreamProblem
from portal.api.deps import IDEMPOTENCY_KEY, Browser, PageNotFound, new_key

# An address as a person types it: one @, a dot in the domain, nothing that splits a list.
EMAIL = re.compile(r"[^@\s,;<>]+@[^@\s,;<>]+\.[^@\s,;<>]+")
MAX_EMAIL = 254  # identity's bound (RFC 5321's path)
CONTROL = re.compile(r"[\x00-\x1f\x7f]")  # a line break in a label would reach e-mails and invoices
CURSOR = re.compile(r"[A-Za-z0-9_=-]{1,512}")


def idempotency_key(form: Mapping[str, Any], field: str = "idempotency_key") -> str:
    """The key the form was rendered with; a form without one is not this portal's."""
    key = str(form.get(field, ""))
    if not IDEMPOTENCY_KEY.fullmatch(key):
        raise PageNotFound()
    return key


def key_or_new(form: Mapping[str, Any]) -> str:
    """For a form anyone may send (sign-up, a reset link): a missing key is a fresh command."""
    key = str(form.get("idempotency_key", ""))
    return key if IDEMPOTENCY_KEY.fullmatch(key) else new_key()


def refusal(code: str, status: int = 422) -> UpstreamProblem:
    """A refusal of the portal itself (the form was not filled in right), shown as a service's."""
    return UpstreamProblem("portal", status, code, code)


def shown(problem: UpstreamProblem) -> bool:
    """A refusal the person can act on, shown on the page; 401 (signs out), 403/404 (the
    not-found page) and 5xx (the error page) are not."""
    return not (problem.not_found or problem.unauthenticated or problem.status >= 500)


def ensure_shown(problem: UpstreamProblem) -> None:
    """Returns for a refusal to show on the page; otherwise raises what the error pages answer:
    403/404 the not-found page (another company's and unknown alike), the rest as it is."""
    if problem.not_found:
        raise PageNotFound() from None
    if not shown(problem):
        raise problem


def one_line(value: Any) -> str:
    """One line of text: control characters and runs of white space become one space."""
    return " ".join(str(value or "").split())


def fits(value: str, longest: int) -> bool:
    """At most `longest` characters, on one line."""
    return len(value) <= longest and not CONTROL.search(value)


def checked_fields(form: Any, fields: Mapping[str, tuple[bool, int]]) -> tuple[dict[str, str], dict[str, str]]:
    """Each field of `fields` (name: (required, longest)) as typed, cut at its bound to show
    again, and what is wrong with it: the checks every form of typed text makes at the edge."""
    typed, errors = {}, {}
    for name, (required, longest) in fields.items():
        value = str(form.get(name, "")).strip()
        if not value:
            if required:
                errors[name] = FIELD_PROBLEMS["required"]
        elif len(value) > longest:
            errors[name] = FIELD_PROBLEMS["too_long"]
        elif not fits(value, longest):
            errors[name] = FIELD_PROBLEMS["one_line"]
        typed[name] = value[:longest]
    return typed, errors


def valid_email(value: str, longest: int = MAX_EMAIL) -> bool:
    return len(value) <= longest and EMAIL.fullmatch(value) is not None


def cursor(value: str | None) -> str:
    """A paging cursor from a URL, or none (the first page) when it is not one a service gave."""
    return value if value and CURSOR.fullmatch(value) else ""


def is_htmx(browser: Browser) -> bool:
    return browser.request.headers.get("hx-request") == "true"
