"""Cursor pagination: every item once, in order, pages bounded, a bad cursor refused (422)."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Annotated

import httpx
import pytest
from fastapi import Depends, FastAPI, Request
from sqlalchemy import Column, DateTime, Integer, MetaData, String, Table, insert, select

from servicekit.http.errors import install_error_handlers
from servicekit.http.pagination import MAX_PAGE_SIZE, PageRequest, keyset, page_of, page_request, paged

NOW = datetime(2026, 1, 1, tzinfo=UTC)
metadata = MetaData()
things = Table(
    "things",
    metadata,
    Column("id", String(8), primary_key=True),
    Column("made_at", DateTime, nullable=False),
    Column("n", Integer, nullable=False),
)


@pytest.fixture
async def app(db):
    async with db.engine.begin() as conn:
        await conn.run_sync(metadata.create_all)
        # Two rows share each time: the id breaks the tie, so no row is skipped or repeated.
        await conn.execute(
            insert(things),
            [
                {"id": f"t{n:03}", "made_at": (NOW + timedelta(minutes=n // 2)).replace(tzinfo=None), "n": n}
                for n in range(25)
            ],
        )
    app = FastAPI()
    install_error_handlers(app)

    @app.get("/things")
    async def listing(
        request: Request, page: Annotated[PageRequest, Depends(page_request)], newest_first: bool = False
    ):
        async with db.connect() as conn:
            rows = (
                await conn.execute(
                    keyset(select(things), [things.c.made_at, things.c.id], page, descending=newest_first)
                )
            ).all()
        return paged(request, page, rows, lambda r: (r.made_at, r.id), lambda r: r.n)

    @app.get("/numbers")
    async def numbers(request: Request, page: Annotated[PageRequest, Depends(page_request)]):
        rows = page_of(list(range(25, 0, -1)), page, lambda n: n)
        return paged(request, page, rows, lambda n: n)

    yield app
    async with db.engine.begin() as conn:
        await conn.run_sync(metadata.drop_all)


async def read_all(app, path: str) -> tuple[list[int], int]:
    transport = httpx.ASGITransport(app=app)
    seen, pages, url = [], 0, f"http://test{path}"
    async with httpx.AsyncClient(transport=transport) as client:
        while url:
            response = await client.get(url)
            assert response.status_code == 200, response.text
            seen += response.json()
            pages += 1
            url = response.links.get("next", {}).get("url")
            assert (url is None) == ("X-Next-Cursor" not in response.headers)
    return seen, pages


async def test_pages_give_every_row_once_in_order_both_ways(app):
    assert await read_all(app, "/things?limit=10") == (list(range(25)), 3)
    assert await read_all(app, "/things?limit=10&newest_first=true") == (list(range(24, -1, -1)), 3)
    assert await read_all(app, "/things?limit=25") == (list(range(25)), 1)
    assert await read_all(app, "/numbers?limit=7") == (list(range(1, 26)), 4)


async def test_a_page_larger_than_the_maximum_or_a_forged_cursor_is_refused(app):
    async with httpx.AsyncClient(transport=httpx.ASGITransport(app=app)) as client:
        too_big = await client.get(f"http://test/things?limit={MAX_PAGE_SIZE + 1}")
        forged = await client.get("http://test/things?cursor=bm90IGEgY3Vyc29y")
    assert too_big.status_code == 422 and too_big.json()["code"] == "invalid_request"
    assert forged.status_code == 422 and forged.json()["code"] == "invalid_cursor"
