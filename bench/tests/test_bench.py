"""The bench's own arithmetic and its history seeding (no timing is asserted anywhere)."""

from __future__ import annotations

import importlib
import uuid

import pytest
from sqlalchemy import func, select

from bench.__main__ import growth
from bench.flows import HOPS, flow_hops
from bench.report import percentiles
from bench.seed import KIT_TABLES, history_rows, seed_service
from devkit.testsupport import BACKENDS, require_postgres
from servicekit.migrations import migrate_database
from servicekit.store.db import Database
from servicekit.store.tables import due_jobs, inbox, outbox


def test_flow_hops_count_a_publish_seen_before_the_http_response_as_zero():
    marks = [0.0, 0.10, 0.09, 0.30, 0.40, 0.45, 0.50, 0.60, 0.70, 0.75, 0.80, 0.95]
    hops = flow_hops(marks)
    assert list(hops) == list(HOPS)
    assert hops["purchased_published"] == 0.0
    assert round(hops["agreement_email"], 2) == 0.21
    assert hops["flow"] == 0.95


def test_percentiles_pick_values_from_the_sorted_sample():
    assert percentiles([float(n) for n in range(100, 0, -1)]) == {"p50": 51.0, "p95": 96.0, "p99": 100.0}


def run(history: int, flows_per_s: float, cpu: float, p99: float) -> dict:
    return {
        "history": history,
        "flows_per_s": flows_per_s,
        "cpu_ms_per_flow": {"seats": cpu},
        "latency": {"hops": {"flow": {"p99": p99}}},
    }


def test_growth_says_flat_unless_throughput_falls_or_cost_rises_with_history():
    assert growth([run(0, 10, 100, 1), run(50_000, 9, 110, 1.1)])["verdict"].startswith("flat")
    assert growth([run(0, 10, 100, 1), run(50_000, 5, 100, 1)])["verdict"] == "grows with history"
    assert growth([run(0, 10, 100, 1), run(50_000, 10, 140, 1)])["verdict"] == "grows with history"


def test_history_rows_have_unique_keys():
    names = [c.name for c in inbox.columns]
    rows = [dict(zip(names, row, strict=True)) for row in history_rows(inbox, 0, 5000, "run1", sqlite=True)]
    assert len({(r["consumer_group"], r["event_id"]) for r in rows}) == 5000


def service_database_tables(service: str) -> list:
    return KIT_TABLES + list(importlib.import_module(f"{service}.store.tables").metadata.sorted_tables)


@pytest.mark.parametrize("backend", BACKENDS)
async def test_seeded_history_is_finished_work_the_relay_and_scheduler_never_pick_up(backend, tmp_path):
    metadata = importlib.import_module("seats.store.tables").metadata
    url = f"sqlite+aiosqlite:///{tmp_path}/seats.db" if backend == "sqlite" else require_postgres()
    database = Database(url, f"bench_{uuid.uuid4().hex[:8]}", (metadata,))
    await migrate_database(database, "seats")
    try:
        await seed_service(database, service_database_tables("seats"), 100)
        async with database.connect() as conn:
            count = lambda table, *where: conn.execute(  # noqa: E731
                select(func.count()).select_from(table).where(*where)
            )
            assert (await count(outbox)).scalar_one() == 300
            assert (await count(inbox)).scalar_one() == 300
            assert (await count(due_jobs)).scalar_one() == 100
            assert (await count(outbox, outbox.c.published_at.is_(None))).scalar_one() == 0
            assert (await count(due_jobs, due_jobs.c.done_at.is_(None))).scalar_one() == 0
    finally:
        await database.drop_schema()
        await database.dispose()


def test_the_portal_part_reads_server_timing_and_prints_a_failed_page_without_figures():
    from io import StringIO

    from rich.console import Console

    from bench.portal import server_timing, spread
    from bench.report import print_portal

    assert server_timing('app;dur=41.2, upstream;dur=35.8;desc="3 calls"') == {
        "app": 41.2,
        "upstream": 35.8,
        "calls": 3,
    }
    assert server_timing('app;dur=2.0, upstream;dur=0.0;desc="1 call"')["calls"] == 1
    assert spread([3.0, 1.0, 2.0]) == {"p50": 2.0, "p95": 3.0, "max": 3.0}
    page = {
        "page": "users (first 100)",
        "path": "/subscriptions/x/users",
        "requests": 3,
        "app_ms": spread([10.0, 20.0, 30.0]),
        "upstream_ms": spread([8.0, 9.0, 10.0]),
        "client_ms": spread([11.0, 21.0, 31.0]),
        "calls": 4,
        "bytes": 1000,
        "underneath": [
            {
                "service": "seats",
                "path": "/subscriptions/0b6f2a49-0a34-4c4e-9f5e-3f3b3c1d2e4f/users",
                "params": {"limit": 100},
                "client_ms": spread([5.0, 6.0]),
            }
        ],
    }
    failed = {"page": "subscription", "path": "/subscriptions/x", "failed": "GET /subscriptions/x answered 500"}
    out = StringIO()
    print_portal(
        "sqlite",
        {"users": 1000, "invoices": 4, "load": "1.0 / 1.0", "pages": [page, failed]},
        Console(file=out, width=200),
    )
    assert "seats GET /subscriptions/{id}/users?limit=100" in out.getvalue()
    assert "failed: GET /subscriptions/x answered 500" in out.getvalue()


def test_issue15_the_documents_table_divides_each_cost_by_its_own_floor():
    from io import StringIO

    from rich.console import Console

    from bench.report import print_documents

    out = StringIO()
    figures = {"pdf_ms": 340.0, "pdf_floor_ms": 17.0, "pdf_60_lines_ms": 1360.0, "pdf_60_lines_pages": 5}
    figures |= {"facturx_embed_ms": 16.0, "cii_ms": 0.4, "ubl_ms": 0.3, "xml_floor_ms": 0.08}
    figures |= {"camt_entries": 10_000, "camt_ms": 1400.0, "camt_floor_ms": 35.0, "repeat": 5}
    print_documents(figures, Console(file=out, width=160))
    table = out.getvalue()
    assert "20.0" in table and "80.0" in table and "40.0" in table and "5.0" in table
