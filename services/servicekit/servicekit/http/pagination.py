"""Cursor pagination of list endpoints: bounded pages, stable under inserts.

A list route takes `?limit=` (default `DEFAULT_PAGE_SIZE`, at most `MAX_PAGE_SIZE`) and
`?cursor=`, and answers a JSON array of at most `limit` items. When more follow, the answer
carries `Link: <...?cursor=...>; rel="next"` (RFC 8288, as GitHub's API does) and the same
cursor in `X-Next-Cursor`; the last page has neither. The body stays a plain array, so a
caller that reads one page sees what it saw before pagination existed.

The cursor is the sort key of the last item sent (keyset pagination), opaque to callers: a
page never repeats or skips an item because rows were added before it, and reading page
1,000 costs what page 1 costs.
"""

from __future__ import annotations

import base64
import json
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Annotated, Any, TypeVar

from fastapi import Query, Request
from fastapi.encoders import jsonable_encoder
from fastapi.responses import JSONResponse
from sqlalchemy import Select, tuple_
from sqlalchemy.sql.elements import ColumnElement

from contracts.errors import Refusal, RuleViolation

DEFAULT_PAGE_SIZE = 100
MAX_PAGE_SIZE = 500
MAX_CURSOR_LENGTH = 512

T = TypeVar("T")


@dataclass(frozen=True)
class PageRequest:
    limit: int
    after: tuple[Any, ...] | None  # the sort key of the last item of the previous page


async def page_request(
    limit: Annotated[
        int,
        Query(
            ge=1,
            le=MAX_PAGE_SIZE,
            description=(f"Items per page (default {DEFAULT_PAGE_SIZE}, at most {MAX_PAGE_SIZE})."),
        ),
    ] = DEFAULT_PAGE_SIZE,
    cursor: Annotated[
        str | None,
        Query(
            max_length=MAX_CURSOR_LENGTH,
            description=('From the `Link: rel="next"` (or `X-Next-Cursor`) header of the previous page.'),
        ),
    ] = None,
) -> PageRequest:
    """The FastAPI dependency of a list route: `page: Annotated[PageRequest, Depends(page_request)]`."""
    return PageRequest(limit, decode_cursor(cursor) if cursor else None)


def keyset(query: Select, order_by: Sequence[ColumnElement], page: PageRequest, descending: bool = False) -> Select:
    """`query` ordered by `order_by` (which must end in a unique column), from after the
    cursor, one row more than the page so that the caller knows whether another follows."""
    if page.after is not None:
        if len(page.after) != len(order_by):
            raise _bad_cursor()
        key, after = tuple_(*order_by), tuple_(*page.after)
        query = query.where(key < after if descending else key > after)
    ordering = [column.desc() if descending else column.asc() for column in order_by]
    return query.order_by(*ordering).limit(page.limit + 1)


def paged(
    request: Request,
    page: PageRequest,
    rows: Sequence[T],
    sort_key: Callable[[T], Any],
    item: Callable[[T], Any] = lambda row: row,
) -> JSONResponse:
    """The answer for one page: at most `page.limit` items (the rows of `keyset`, turned into
    items by `item`) and, when another page follows, its link."""
    shown = list(rows[: page.limit])
    response = JSONResponse(jsonable_encoder([item(row) for row in shown]))
    if len(rows) > page.limit and shown:
        cursor = encode_cursor(_comparable(sort_key(shown[-1])))
        response.headers["X-Next-Cursor"] = cursor
        response.headers["Link"] = f'<{request.url.include_query_params(cursor=cursor, limit=page.limit)}>; rel="next"'
    return response


def page_of(items: Sequence[T], page: PageRequest, sort_key: Callable[[T], Any]) -> list[T]:
    """The same keyset window over items already in memory (a list the domain builds): sorted
    by `sort_key`, from after the cursor, at most one more than the page."""
    ordered = sorted(items, key=sort_key)
    if page.after is not None:
        after = tuple(page.after)
        ordered = [i for i in ordered if tuple(_comparable(sort_key(i))) > after]
    return ordered[: page.limit + 1]


def encode_cursor(values: tuple[Any, ...]) -> str:
    tagged = [{"at": v.isoformat()} if isinstance(v, datetime) else v for v in values]
    return base64.urlsafe_b64encode(json.dumps(tagged, separators=(",", ":")).encode()).decode().rstrip("=")


def decode_cursor(cursor: str) -> tuple[Any, ...]:
    try:
        raw = json.loads(base64.urlsafe_b64decode(cursor + "=" * (-len(cursor) % 4)))
        if not isinstance(raw, list) or not raw:
            raise ValueError("not a key")
        return tuple(_untag(value) for value in raw)
    except (ValueError, TypeError, KeyError) as error:
        raise _bad_cursor() from error


def _untag(value: Any) -> Any:
    if isinstance(value, dict):
        return datetime.fromisoformat(value["at"])
    if isinstance(value, (str, int, float)) and not isinstance(value, bool):
        return value
    raise ValueError("not a key value")


def _comparable(key: Any) -> tuple[Any, ...]:
    return tuple(key) if isinstance(key, (tuple, list)) else (key,)


def _bad_cursor() -> RuleViolation:
    return RuleViolation(
        "invalid_cursor",
        "This cursor is not one this list gave; start again without `cursor`.",
        refusal=Refusal.INVALID,
    )
