"""HTTP commands: one transaction, and the same Idempotency-Key never acts twice.

The same key with the same request returns the first answer; the same key with another
request is refused with 409. The key is stored in the command's own transaction, so an
answer is remembered exactly when its effect happened.
"""
from __future__ import annotations

import hashlib
import json
from typing import TYPE_CHECKING, Any, Awaitable, Callable

from fastapi import Request
from fastapi.responses import JSONResponse
from pydantic import BaseModel
from sqlalchemy import insert, select
from sqlalchemy.exc import IntegrityError

from contracts.errors import RuleViolation
from servicekit.auth import Caller
from servicekit.conflicts import retrying_conflicts
from servicekit.logs import bind
from servicekit.tables import idempotency_keys

if TYPE_CHECKING:
    from servicekit.runtime import ServiceRuntime
    from servicekit.uow import UnitOfWork

Action = Callable[["UnitOfWork"], Awaitable[BaseModel | dict[str, Any]]]


async def run_command(runtime: "ServiceRuntime", request: Request, caller: Caller | None,
                      body: BaseModel | None, action: Action, status_code: int = 200) -> JSONResponse:
    """The events the command causes carry the request's correlation id (`RequestContext`
    binds it; the unit of work picks it up)."""
    subject = request.path_params.get("subscription_id")  # whose (test) clock the command runs on
    with bind(subscription_id=subject):
        return await retrying_conflicts(
            lambda: _run_command(runtime, request, caller, body, action, status_code, subject),
            f"{request.method} {request.url.path}")


async def _run_command(runtime: "ServiceRuntime", request: Request, caller: Caller | None,
                       body: BaseModel | None, action: Action, status_code: int,
                       subject: str | None) -> JSONResponse:
    key = request.headers.get("Idempotency-Key")
    scope = f"{caller.account_id}:{caller.person_id}" if caller else "anonymous"
    body_json = body.model_dump_json() if body is not None else ""
    fingerprint = hashlib.sha256(f"{request.method} {request.url.path}\n{body_json}".encode()).hexdigest()
    try:
        async with runtime.uow(subject=subject) as uow:
            if key and (stored := await _stored_answer(uow, scope, key, fingerprint)):
                return stored
            resource = await action(uow)
            answer = resource.model_dump(mode="json") if isinstance(resource, BaseModel) else resource
            answer = {**answer, "event_ids": [e.id for e in uow.published]}
            if key:
                await uow.conn.execute(insert(idempotency_keys).values(
                    scope=scope, key=key, fingerprint=fingerprint, status_code=status_code,
                    body=json.dumps(answer), created_at=uow.now()))
            await uow.commit()
    except IntegrityError:
        if not key:
            raise
        async with runtime.uow(subject=subject) as uow:  # a concurrent request with the same key won the race
            stored = await _stored_answer(uow, scope, key, fingerprint)
        if stored is None:
            raise
        return stored
    return JSONResponse(answer, status_code=status_code)


async def _stored_answer(uow: "UnitOfWork", scope: str, key: str, fingerprint: str) -> JSONResponse | None:
    row = (await uow.conn.execute(select(idempotency_keys).where(
        idempotency_keys.c.scope == scope, idempotency_keys.c.key == key))).first()
    if row is None:
        return None
    if row.fingerprint != fingerprint:
        raise RuleViolation("idempotency_key_reused",
                            "This Idempotency-Key was already used with a different request; "
                            "use a new key for a new request.")
    return JSONResponse(json.loads(row.body), status_code=row.status_code,
                        headers={"Idempotent-Replayed": "true"})
