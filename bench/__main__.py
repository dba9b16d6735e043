"""`python -m bench` (`make bench`): drive complete flows through the five services and
report throughput, latency and cost beside the limits of the broker and the SMTP server.
Everything stays on 127.0.0.1 and every phase is bounded in time."""

from __future__ import annotations

import asyncio
import time
from pathlib import Path
from typing import Any

import typer
import uvloop

from bench import limits, report
from bench.documents import bench_documents
from bench.flows import PUBLIC_TOPICS, FlowDriver, closed_loop, open_loop
from bench.licensing import bench_licensing
from bench.portal import bench_portal
from bench.replay import replay_everything
from bench.seed import seed_history
from bench.stack import costs, cpu_used, drop_postgres_schemas, start_stack
from bench.watch import EventWatch, MailWatch
from devkit.devstack import SERVICES

# The agreement, the activation notice, and two invoices: an annual term and a seat added
# during it are both invoiced at once (R30), and each invoice is e-mailed (R33).
EMAILS_PER_FLOW = 4


async def measure_level(
    driver: FlowDriver,
    stack,
    events: EventWatch,
    history: int,
    seconds: float,
    latency_seconds: float,
    concurrency: int,
) -> dict:
    """Throughput (closed loop), then latency at half that rate, and what it cost."""
    before, events_before = costs(stack), events.count
    elapsed, flows = await closed_loop(driver.run_flow, seconds, concurrency)
    after = costs(stack)
    completed = max(1, len(flows))
    flows_per_s = completed / elapsed
    rate = max(0.5, flows_per_s / 2)
    _, paced = await open_loop(driver.run_flow, rate, latency_seconds)
    return {
        "history": history,
        "flows": completed,
        "seconds": elapsed,
        "flows_per_s": flows_per_s,
        "events_per_flow": (events.count - events_before) / completed,
        "events_per_s": (events.count - events_before) / elapsed,
        "emails_per_s": flows_per_s * EMAILS_PER_FLOW,
        "throughput_hops": report.hop_percentiles(flows),
        "latency": {"rate": rate, "flows": len(paced), "hops": report.hop_percentiles(paced)},
        "cpu_ms_per_flow": {p: s * 1000 / completed for p, s in cpu_used(before, after).items()},
        "peak_rss_mb": {p: c.peak_rss_mb for p, c in after.items()},
    }


def growth(runs: list[dict]) -> dict:
    first, last = runs[0], runs[-1]
    ratios = {
        "flows_per_s": last["flows_per_s"] / first["flows_per_s"],
        "p99_flow": last["latency"]["hops"]["flow"]["p99"] / first["latency"]["hops"]["flow"]["p99"],
        "cpu_per_flow": report.stack_cpu_ms(last) / report.stack_cpu_ms(first),
    }
    worse = ratios["flows_per_s"] < 0.8 or ratios["cpu_per_flow"] > 1.25
    return {
        "from": first["history"],
        "to": last["history"],
        "ratios": {k: round(v, 2) for k, v in ratios.items()},
        "verdict": "grows with history" if worse else "flat (within 20-25 %)",
    }


async def bench_backend(
    backend: str,
    var_dir: Path,
    histories: list[int],
    seconds: float,
    latency_seconds: float,
    concurrency: int,
    replay: bool,
    flows: bool = True,
    portal: bool = True,
    portal_requests: int = 200,
    portal_seconds: float = 30.0,
    licensing: bool = True,
) -> dict:
    started = time.perf_counter()
    stack = await asyncio.to_thread(start_stack, backend, var_dir)
    print(f"  {backend}: stack up in {time.perf_counter() - started:.1f} s", flush=True)
    try:
        result: dict[str, Any] = {}
        if flows:
            result |= await bench_flows(backend, stack, histories, seconds, latency_seconds, concurrency)
        if portal:
            # After the flows: the databases hold their history and the flows' own rows too.
            print(f"  {backend}: the portal's pages", flush=True)
            result["portal"] = await bench_portal(stack, portal_requests, portal_seconds)
        if licensing:
            print(f"  {backend}: licensing: online checks beside the HTTP floor, offline verification", flush=True)
            result["licensing"] = await bench_licensing(stack, min(seconds, 6.0), latency_seconds)
        if replay and flows:
            print(f"  {backend}: replaying every topic into every service", flush=True)
            result["replay"] = await replay_everything(stack)
        return result
    finally:
        await asyncio.to_thread(stack.stop)
        await asyncio.to_thread(drop_postgres_schemas, stack)


async def bench_flows(
    backend: str,
    stack,
    histories: list[int],
    seconds: float,
    latency_seconds: float,
    concurrency: int,
) -> dict:
    """Throughput and latency at each history size, then the limits of the broker and SMTP."""
    events = await EventWatch(stack.config.bootstrap, PUBLIC_TOPICS).start()
    mails = await MailWatch(stack.config.mail_dir).start()
    driver = FlowDriver({s: stack.config.url(s) for s in SERVICES}, events, mails)
    await driver.register_customers(8)
    await closed_loop(driver.run_flow, 3.0, concurrency)  # warm-up: connections, statement caches, lazy imports
    runs, seeded = [], 0
    for history in histories:
        if history > seeded:
            started = time.perf_counter()
            rows = await seed_history(stack, history - seeded)
            print(
                f"  {backend}: seeded {history - seeded:,} subscriptions of history "
                f"({rows:,} rows) in {time.perf_counter() - started:.1f} s",
                flush=True,
            )
            seeded = history
        runs.append(await measure_level(driver, stack, events, history, seconds, latency_seconds, concurrency))
        print(f"  {backend} history {history:,}: {runs[-1]['flows_per_s']:.1f} flows/s", flush=True)
    print(f"  {backend}: measuring the limits of the broker and the SMTP server", flush=True)
    message_bytes = int(events.bytes / max(1, events.count))
    part_limits = {
        "message_bytes": message_bytes,
        "broker": await limits.broker_rates(stack.config.bootstrap, message_bytes, 20000),
        "smtp": await limits.smtp_rates("127.0.0.1", stack.config.smtp_port, 6000, 300),
    }
    await driver.close()
    await events.stop()
    await mails.stop()
    return {"runs": runs, "limits": part_limits, "growth": growth(runs)}


def main(
    backends: str = typer.Option("sqlite,postgresql", help="Comma-separated: sqlite, postgresql."),
    history: str = typer.Option("0,1000,10000,50000", help="Subscriptions already in the databases."),
    seconds: float = typer.Option(6.0, help="Length of each closed-loop throughput run."),
    latency_seconds: float = typer.Option(4.0, help="Length of each run at half the throughput."),
    concurrency: int = typer.Option(32, help="Administrators driving flows at once."),
    replay: bool = typer.Option(True, help="Also time a replay of every topic into every service."),
    flows: bool = typer.Option(True, help="The complete flows, the limits of the parts and the replay."),
    portal: bool = typer.Option(True, help="The portal's pages (1,000 users); `--no-flows` runs it alone."),
    portal_requests: int = typer.Option(200, help="Sequential GETs of each portal page."),
    portal_seconds: float = typer.Option(30.0, help="At most this long on each portal page."),
    licensing: bool = typer.Option(True, help="Access checks, heartbeats and offline verification (issue 14)."),
    documents: bool = typer.Option(True, help="Invoice PDFs, e-invoices and bank files, in this process (issue 15)."),
    out: Path = typer.Option(Path("var/bench"), help="Where the JSON results go."),
) -> None:
    """Examples: `make bench`; `make bench BENCH_ARGS="--backends sqlite --history 0,1000"`;
    the portal's pages alone: `make bench BENCH_ARGS="--backends sqlite --no-flows"`."""
    histories = sorted({int(h) for h in history.split(",") if h.strip()})
    results: dict[str, Any] = {
        "machine": report.machine(),
        "commit": report.commit(),
        "settings": {
            "backends": backends,
            "history": histories,
            "seconds": seconds,
            "latency_seconds": latency_seconds,
            "concurrency": concurrency,
            "flows": flows,
            "portal": portal,
            "portal_requests": portal_requests,
            "portal_seconds": portal_seconds,
            "licensing": licensing,
            "documents": documents,
        },
        "backends": {},
    }
    started = time.perf_counter()
    if documents:  # no stack: billing's code in this process
        print("documents: invoice PDFs, e-invoices and bank files", flush=True)
        results["documents"] = bench_documents()
    for backend in [b.strip() for b in backends.split(",") if b.strip()]:
        if backend not in ("sqlite", "postgresql"):
            raise typer.BadParameter(f"unknown backend {backend!r}: use sqlite or postgresql")
        print(f"{backend}: starting the stack", flush=True)
        results["backends"][backend] = uvloop.run(
            bench_backend(
                backend,
                out / "stack" / backend / str(int(time.time())),
                histories,
                seconds,
                latency_seconds,
                concurrency,
                replay,
                flows,
                portal,
                portal_requests,
                portal_seconds,
                licensing,
            )
        )
    results["wall_seconds"] = time.perf_counter() - started
    path = report.save(results, out)
    report.print_tables(results)
    print(f"Results: {path} (whole run {results['wall_seconds']:.0f} s)")


if __name__ == "__main__":
    typer.run(main)
