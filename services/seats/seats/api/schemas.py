"""What the routes of several resources share: who may call (said in each route's
description), command answers (the resource and the ids of the events the command published)
and cursor pagination of lists whose answer is an object (`servicekit.http.pagination`)."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Any, TypeVar

from fastapi import Request
from fastapi.encoders import jsonable_encoder
from fastapi.responses import JSONResponse
from pydantic import BaseModel, Field, create_model

from servicekit.http.pagination import MAX_PAGE_SIZE, PageRequest, encode_cursor

T = TypeVar("T")
M = TypeVar("M", bound=BaseModel)

# Who may call, as each route's description says it.
ADMINISTRATOR = (
    "Who may call: the subscription's administrator, signed in for the account that owns it "
    "(R6). To anyone else the subscription does not exist (404)."
)
SEAT_HOLDER = (
    "Who may call: a user of the subscription who holds an assignment (R24); to someone who "
    "is neither its user nor its administrator the subscription does not exist (404)."
)
PAGINATED = (
    f" A page at a time: `?limit=` (at most {MAX_PAGE_SIZE}) and `?cursor=` from the previous "
    'page\'s `Link: rel="next"` or `X-Next-Cursor` header; the last page has neither.'
)

_answers: dict[type, type] = {}


def command_answer(model: type[M]) -> type[M]:
    """The answer of a command: the resource, and the ids of the events it published."""
    if model not in _answers:
        _answers[model] = create_model(
            f"{model.__name__}Answer",
            __base__=model,
            event_ids=(
                list[str],
                Field(
                    description="Ids of the events this command published (none "
                    "when it changed nothing others need to know)."
                ),
            ),
        )
    return _answers[model]


def page_answer(
    request: Request, page: PageRequest, rows: Sequence[T], sort_key: Callable[[T], Any], body: Callable[[list[T]], Any]
) -> JSONResponse:
    """One page of a list whose answer is an object (kept so for the callers that read it):
    `body` builds it from at most `page.limit` rows; the link to the next page goes in the
    headers, as `servicekit.pagination.paged` does for arrays."""
    shown = list(rows[: page.limit])
    response = JSONResponse(jsonable_encoder(body(shown)))
    if len(rows) > page.limit and shown:
        key = sort_key(shown[-1])
        cursor = encode_cursor(tuple(key) if isinstance(key, (tuple, list)) else (key,))
        response.headers["X-Next-Cursor"] = cursor
        response.headers["Link"] = f'<{request.url.include_query_params(cursor=cursor, limit=page.limit)}>; rel="next"'
    return response
