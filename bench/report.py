"""Results: a table on stdout (rich), JSON under var/bench/, each figure beside its limit."""

from __future__ import annotations

import json
import os
import platform
import subprocess
import sys
from datetime import UTC, datetime
from pathlib import Path

from rich.console import Console
from rich.table import Table

from bench.flows import HOPS


def percentiles(values: list[float]) -> dict[str, float]:
    ordered = sorted(values)
    if not ordered:
        return {"p50": float("nan"), "p95": float("nan"), "p99": float("nan")}
    pick = lambda q: ordered[min(len(ordered) - 1, int(q * len(ordered)))]  # noqa: E731
    return {"p50": pick(0.50), "p95": pick(0.95), "p99": pick(0.99)}


def hop_percentiles(flows: list[dict[str, float]]) -> dict[str, dict[str, float]]:
    return {hop: percentiles([f[hop] for f in flows]) for hop in HOPS}


def machine() -> dict:
    cpu = next(
        (
            line.split(":", 1)[1].strip()
            for line in Path("/proc/cpuinfo").read_text().splitlines()
            if line.startswith("model name")
        ),
        platform.processor(),
    )
    return {"cpu": cpu, "cores": os.cpu_count(), "python": platform.python_version(), "system": platform.platform()}


def commit() -> str:
    def git(*args: str) -> str:
        return subprocess.run(["git", *args], capture_output=True, text=True).stdout.strip()

    return git("rev-parse", "--short", "HEAD") + ("-dirty" if git("status", "--porcelain") else "")


def save(results: dict, directory: Path) -> Path:
    directory.mkdir(parents=True, exist_ok=True)
    stamp = datetime.now(UTC).strftime("%Y%m%dT%H%M%SZ")
    path = directory / f"bench-{stamp}.json"
    path.write_text(json.dumps(results, indent=2, default=str))
    (directory / "latest.json").write_text(path.read_text())
    return path


def stack_cpu_ms(run: dict) -> float:
    """CPU per flow of the stack's own processes (the load generator is shown apart)."""
    return sum(ms for process, ms in run["cpu_ms_per_flow"].items() if process != "load generator")


def ms(seconds: float) -> str:
    return f"{seconds * 1000:.0f}"


def print_tables(results: dict, console: Console | None = None) -> None:
    console = console or Console(width=None if sys.stdout.isatty() else 120)
    cores = results["machine"]["cores"]
    if "documents" in results:
        print_documents(results["documents"], console)
    for backend, report in results["backends"].items():
        if "runs" not in report:  # `--no-flows`: the portal's pages and licensing alone
            if "portal" in report:
                print_portal(backend, report["portal"], console)
            if "licensing" in report:
                print_licensing(backend, report["licensing"], console)
            continue
        limits = report["limits"]
        flows = Table(
            title=f"{backend}: complete flows (closed loop, {results['settings']['concurrency']}"
            " administrators) beside the limits of the parts"
        )
        for name in (
            "history",
            "flows/s",
            "events/s (broker limit)",
            "e-mails/s (SMTP limit)",
            "CPU ms/flow (2-core ceiling)",
            "half rate",
            "p50 / p95 / p99 flow ms",
        ):
            flows.add_column(name, justify="right")
        for run in report["runs"]:
            cpu = stack_cpu_ms(run)
            flows.add_row(
                f"{run['history']:,}",
                f"{run['flows_per_s']:.1f}",
                f"{run['events_per_s']:.0f} ({limits['broker']['produce_per_s']:.0f})",
                f"{run['emails_per_s']:.1f} ({limits['smtp']['one_connection_per_s']:.0f})",
                f"{cpu:.0f} ({cores * 1000 / cpu if cpu else 0:.0f} flows/s)",
                f"{run['latency']['rate']:.1f}/s",
                " / ".join(ms(run["latency"]["hops"]["flow"][q]) for q in ("p50", "p95", "p99")),
            )
        console.print(flows)
        last = report["runs"][-1]
        hops = Table(title=f"{backend}: hop latency at half rate, history {last['history']:,} (ms)")
        for name in ("hop", "p50", "p95", "p99"):
            hops.add_column(name, justify="right" if name != "hop" else "left")
        for hop in HOPS:
            q = last["latency"]["hops"][hop]
            hops.add_row(hop, ms(q["p50"]), ms(q["p95"]), ms(q["p99"]))
        console.print(hops)
        cost = Table(title=f"{backend}: cost per process (history {last['history']:,})")
        for name in ("process", "CPU ms/flow", "peak RSS MB"):
            cost.add_column(name, justify="right" if name != "process" else "left")
        for process, cpu in last["cpu_ms_per_flow"].items():
            cost.add_row(process, f"{cpu:.1f}", f"{last['peak_rss_mb'].get(process, 0):.0f}")
        console.print(cost)
        replay = report.get("replay")
        if replay:
            console.print(
                f"[bold]{backend} replay[/]: {replay['records']:,} records re-read by every group in "
                f"{replay['seconds']:.1f} s, {replay['startup_seconds']:.1f} s of it starting the services; "
                f"{replay['records_per_s']:.0f} records/s once started (broker consume limit "
                f"{limits['broker']['consume_per_s']:.0f}/s); changed: {replay['changed'] or 'nothing'}"
            )
        console.print(
            f"[bold]{backend} limits[/]: broker produce {limits['broker']['produce_per_s']:.0f}/s, "
            f"consume {limits['broker']['consume_per_s']:.0f}/s ({limits['message_bytes']} B); "
            f"SMTP {limits['smtp']['one_connection_per_s']:.0f}/s on one connection, "
            f"{limits['smtp']['connection_per_message_per_s']:.0f}/s with a connection each"
        )
        console.print(f"[bold]{backend} growth with history[/]: {report['growth']}")
        if "portal" in report:
            print_portal(backend, report["portal"], console)
        if "licensing" in report:
            print_licensing(backend, report["licensing"], console)


def print_documents(documents: dict, console: Console) -> None:
    """Billing's documents and bank files, each beside the library underneath (issue 15)."""
    table = Table(title=f"invoice documents and bank files (CPU ms, one core, mean of {documents['repeat']})")
    for name in ("work", "ms", "floor", "floor ms", "× floor"):
        table.add_column(name, justify="left" if name in ("work", "floor") else "right")
    rows = [
        ("PDF/A-3b, one page", documents["pdf_ms"], "WeasyPrint, one paragraph", documents["pdf_floor_ms"]),
        (
            f"PDF/A-3b, 60 lines ({documents['pdf_60_lines_pages']} pages)",
            documents["pdf_60_lines_ms"],
            "WeasyPrint, one paragraph",
            documents["pdf_floor_ms"],
        ),
        ("Factur-X: embed the CII", documents["facturx_embed_ms"], "-", None),
        ("CII XML", documents["cii_ms"], "lxml: parse + serialise it", documents["xml_floor_ms"]),
        ("UBL XML", documents["ubl_ms"], "lxml: parse + serialise the CII", documents["xml_floor_ms"]),
        (
            f"camt.053, {documents['camt_entries']:,} entries",
            documents["camt_ms"],
            "lxml: parse the same bytes",
            documents["camt_floor_ms"],
        ),
    ]
    for work, cost, floor_name, floor in rows:
        table.add_row(
            work,
            f"{cost:.2f}",
            floor_name,
            f"{floor:.2f}" if floor else "-",
            f"{cost / floor:.1f}" if floor else "-",
        )
    console.print(table)


def print_licensing(backend: str, licensing: dict, console: Console) -> None:
    """Each online call beside the HTTP floor measured in the same run; offline verification
    beside Ed25519's own."""
    table = Table(
        title=f"{backend}: licensing, {licensing['users']} users, {licensing['concurrency']} callers "
        "(closed loop, then an open loop at half that rate)"
    )
    for name in ("call", "calls/s", "server CPU ms / call", "calls / s / core", "× floor", "p50 / p99 ms at half"):
        table.add_column(name, justify="left" if name == "call" else "right")
    floor = licensing["online"][0]["cpu_ms_per_call"]
    for row in licensing["online"]:
        cpu = row["cpu_ms_per_call"]
        half = row["half_rate"]
        table.add_row(
            row["call"],
            f"{row['per_s']:.0f}",
            f"{cpu:.2f}",
            f"{1000 / cpu:.0f}" if cpu else "-",
            f"{cpu / floor:.1f}" if floor else "-",
            f"{half['p50']:.1f} / {half['p99']:.1f} ({half['rate']:.0f}/s)",
        )
    console.print(table)
    offline = licensing["offline"]
    console.print(
        f"[bold]{backend} offline verification[/] (entitle_client.Verifier, one core): "
        f"{offline['fresh_per_s']:,.0f}/s of entitlements seen for the first time, "
        f"{offline['cached_per_s']:,.0f}/s of the same one again; Ed25519's verify alone "
        f"{offline['ed25519_per_s']:,.0f}/s"
    )


def print_portal(backend: str, portal: dict, console: Console) -> None:
    """Each page's server time (its `Server-Timing`), round trip and calls to the owning
    services, beside the call underneath it mostly waits on, timed in the same run."""
    pages = Table(
        title=f"{backend}: portal pages, {portal['users']:,} users, {portal['invoices']} invoices (ms; "
        "sequential GETs, each followed by the calls underneath)"
    )
    for name in (
        "page",
        "GETs",
        "server p50 / p95 / max",
        "upstream p50 / p95",
        "calls",
        "round trip p50 / p95",
        "floor p50 / p95",
    ):
        pages.add_column(name, justify="left" if name == "page" else "right")
    for page in portal["pages"]:
        if "failed" in page:
            pages.add_row(page["page"], "0", f"failed: {page['failed']}", "", "", "", "")
            continue
        floor = page["underneath"][0]
        pages.add_row(
            page["page"],
            str(page["requests"]),
            " / ".join(f"{page['app_ms'][q]:.0f}" for q in ("p50", "p95", "max")),
            " / ".join(f"{page['upstream_ms'][q]:.0f}" for q in ("p50", "p95")),
            str(page["calls"]),
            " / ".join(f"{page['client_ms'][q]:.0f}" for q in ("p50", "p95")),
            f"{floor['client_ms']['p50']:.0f} / {floor['client_ms']['p95']:.0f}",
        )
    console.print(pages)
    console.print(
        "[bold]floor[/]: the round trip of the first call below, the one the page mostly waits on, "
        f"asked directly; load average {portal.get('load', '?')} (1 min, before / after)"
    )
    calls = Table(title=f"{backend}: every call underneath the portal pages, asked directly (round trip ms)")
    for name in ("page", "call", "p50", "p95"):
        calls.add_column(name, justify="right" if name in ("p50", "p95") else "left")
    for page in portal["pages"]:
        for call in page.get("underneath", ()):
            calls.add_row(
                page["page"],
                f"{call['service']} {underneath_name(call)}",
                *(f"{call['client_ms'][q]:.1f}" for q in ("p50", "p95")),
            )
    console.print(calls)


def underneath_name(call: dict) -> str:
    """`GET /subscriptions/{id}/users?limit=100`, the id left out (it differs every run)."""
    path = "/".join("{id}" if len(part) >= 20 else part for part in call["path"].split("/"))
    query = "&".join(f"{k}={v}" for k, v in call["params"].items())
    return f"GET {path}" + (f"?{query}" if query else "")
