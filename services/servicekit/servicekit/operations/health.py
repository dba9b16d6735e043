"""/health and /ready for anyone (orchestrators probe them), /metrics for the scraper, and
`/ops/stats` for operators."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Depends
from fastapi.responses import JSONResponse, Response

from servicekit.http.deps import REQUIRES_OPERATOR, require_metrics_reader
from servicekit.runtime import Runtime

router = APIRouter(tags=["operations"])


@router.get("/health")
async def health(runtime: Runtime) -> dict[str, str]:
    return {"status": "ok", "service": runtime.name}


@router.get("/ready")
async def ready(runtime: Runtime) -> JSONResponse:
    checks = await runtime.readiness()
    ok = all(checks.values())
    return JSONResponse({"ready": ok, "checks": checks}, status_code=200 if ok else 503)


@router.get("/ops/stats", dependencies=[REQUIRES_OPERATOR])
async def stats(runtime: Runtime) -> dict[str, Any]:
    return await runtime.stats()


@router.get("/metrics", include_in_schema=False, dependencies=[Depends(require_metrics_reader)])
async def metrics(runtime: Runtime) -> Response:
    """Prometheus text exposition (see docs/architecture.md, Observability)."""
    lags = [(c.group, tp, lag) for c in runtime.consumers for tp, lag in (await c.lag()).items()]
    body = await runtime.metrics.exposition(lags, runtime.relay.backlog)
    return Response(body, media_type=runtime.metrics.content_type)
