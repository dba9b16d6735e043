"""HTTP commands: one transaction, and the same Idempotency-Key never acts twice.

The same key with the same request returns the first answer; the same key with another
request is refused with 409. The key is stored in the command's own transaction, so an
answer is remembered exactly when its effect happened.

"The same request" is everything that decides what the command does: the method, the path,
the query, the body as sent (JSON compared by value; an upload by its files' contents, not by
the multipart boundary, which changes at each retry) and the session of the token. The
`body` a route passes is not trusted for this: a route may pass none, or a model with the
password taken out, and two different requests would then look the same.

Keys are scoped: a signed-in caller's by account and person, an anonymous caller's by client
address, so that two strangers who pick the same key never see each other's answer. A key is
1 to 255 visible ASCII characters (Stripe's limit); anything else is refused before anything
is stored.

The fingerprint is an HMAC keyed with the token secret: a request may carry a password, and
a plain hash of it in the database could be brute-forced offline.
"""

from __future__ import annotations

import hashlib
import hmac
import json
import re
from collections.abc import Awaitable, Callable
from typing import Any

from fastapi import Request
from fastapi.responses import JSONResponse
from pydantic import BaseModel
from sqlalchemy import insert, select
from sqlalchemy.exc import IntegrityError
from starlette.datastructures import UploadFile

from contracts.errors import Refusal, RuleViolation
from servicekit.http.auth import Caller
from servicekit.logs import bind
from servicekit.store.conflicts import retrying_conflicts
from servicekit.store.tables import idempotency_keys
from servicekit.store.uow import UnitOfWork, UnitsOfWork

Action = Callable[[Any], Awaitable[BaseModel | dict[str, Any]]]
"""What a command does, given the unit of work (the service's own kind) it runs in."""

MAX_KEY_LENGTH = 255
VALID_KEY = re.compile(r"[\x21-\x7e](?:[\x20-\x7e]*[\x21-\x7e])?")  # visible ASCII, inner spaces allowed
HASH_CHUNK = 1024 * 1024


class CommandRunner:
    """Runs HTTP commands: one transaction each, and one answer per Idempotency-Key. Holds the
    service's unit-of-work factory and the token secrets the fingerprints are keyed with."""

    def __init__(self, units_of_work: UnitsOfWork, secrets: tuple[str, ...]) -> None:
        self._uow, self._secrets = units_of_work, secrets

    async def run(
        self, request: Request, caller: Caller | None, body: BaseModel | None, action: Action, status_code: int = 200
    ) -> JSONResponse:
        """The events the command causes carry the request's correlation id (`RequestContext`
        binds it; the unit of work picks it up)."""
        key = idempotency_key(request)
        fingerprints = await request_fingerprints(self._secrets, request, caller, body) if key else ()
        subject = request.path_params.get("subscription_id")  # whose (test) clock the command runs on
        with bind(subscription_id=subject):
            return await retrying_conflicts(
                lambda: self._run(request, caller, key, fingerprints, action, status_code, subject),
                f"{request.method} {request.url.path}",
            )

    async def _run(
        self,
        request: Request,
        caller: Caller | None,
        key: str | None,
        fingerprints: tuple[str, ...],
        action: Action,
        status_code: int,
        subject: str | None,
    ) -> JSONResponse:
        scope = key_scope(request, caller)
        try:
            async with self._uow(subject=subject) as uow:
                if key and (stored := await _stored_answer(uow, scope, key, fingerprints)):
                    return stored
                resource = await action(uow)
                answer = resource.model_dump(mode="json") if isinstance(resource, BaseModel) else resource
                answer = {**answer, "event_ids": [e.id for e in uow.published]}
                if key:
                    await uow.conn.execute(
                        insert(idempotency_keys).values(
                            scope=scope,
                            key=key,
                            fingerprint=fingerprints[0],
                            status_code=status_code,
                            body=json.dumps(answer),
                            created_at=uow.now(),
                        )
                    )
                await uow.commit()
        except IntegrityError:
            if not key:
                raise
            async with self._uow(subject=subject) as uow:  # a concurrent request with the same key won the race
                stored = await _stored_answer(uow, scope, key, fingerprints)
            if stored is None:
                raise
            return stored
        return JSONResponse(answer, status_code=status_code)


def idempotency_key(request: Request) -> str | None:
    """The request's Idempotency-Key, None without one; refused (422) if it is not a key."""
    key = request.headers.get("Idempotency-Key")
    if key is None:
        return None
    if len(key) > MAX_KEY_LENGTH or not VALID_KEY.fullmatch(key):
        raise RuleViolation(
            "invalid_idempotency_key",
            f"An Idempotency-Key is 1 to {MAX_KEY_LENGTH} visible "
            "ASCII characters, e.g. a UUID; this one is not. Nothing was done.",
            refusal=Refusal.INVALID,
        )
    return key


def key_scope(request: Request, caller: Caller | None) -> str:
    """Whose keys these are: a signed-in person's (in one account), or one client address's."""
    if caller is not None:
        return f"{caller.account_id}:{caller.person_id}"[:255]
    client = request.client.host if request.client else "unknown"
    return f"anonymous:{client}"[:255]


async def request_fingerprints(
    secrets: tuple[str, ...], request: Request, caller: Caller | None, body: BaseModel | None
) -> tuple[str, ...]:
    """The request's fingerprint under the current token secret first, then under each previous
    one: an answer stored before a rotation is still recognised as the same request."""
    canonical = await _canonical_request(request, caller, body)
    return tuple(dict.fromkeys(hmac.new(s.encode(), canonical, hashlib.sha256).hexdigest() for s in secrets))


async def _canonical_request(request: Request, caller: Caller | None, body: BaseModel | None) -> bytes:
    who = f"{caller.account_id}:{caller.person_id}:{caller.session_id}" if caller else "anonymous"
    query = sorted(request.query_params.multi_items())
    content = await _content(request, body)
    return json.dumps(
        [request.method, request.url.path, query, who, content],
        separators=(",", ":"),
        sort_keys=True,
        ensure_ascii=False,
    ).encode()


async def _content(request: Request, body: BaseModel | None) -> Any:
    content_type = request.headers.get("content-type", "").lower()
    if content_type.startswith(("multipart/form-data", "application/x-www-form-urlencoded")):
        form = await request.form()  # parsed already by FastAPI for the route: cached, not read again
        return sorted(
            [
                [name, await _file_digest(value) if isinstance(value, UploadFile) else value]
                for name, value in form.multi_items()
            ],
            key=lambda item: item[0],
        )
    try:
        raw = await request.body()  # read already by FastAPI for the route's body: cached
    except RuntimeError:  # the route consumed the stream itself: what it parsed is all there is
        return body.model_dump(mode="json") if body is not None else None
    try:
        return {"json": json.loads(raw)} if raw else None  # key order and spacing do not matter
    except (ValueError, RecursionError):
        return {"sha256": hashlib.sha256(raw).hexdigest()}


async def _file_digest(upload: UploadFile) -> dict:
    """An uploaded file by name, type and contents; its read position is left where it was."""
    position = upload.file.tell()
    await upload.seek(0)
    digest = hashlib.sha256()
    while chunk := await upload.read(HASH_CHUNK):
        digest.update(chunk)
    await upload.seek(position)
    return {"filename": upload.filename, "content_type": upload.content_type, "sha256": digest.hexdigest()}


async def _stored_answer(uow: UnitOfWork, scope: str, key: str, fingerprints: tuple[str, ...]) -> JSONResponse | None:
    row = (
        await uow.conn.execute(
            select(idempotency_keys).where(idempotency_keys.c.scope == scope, idempotency_keys.c.key == key)
        )
    ).first()
    if row is None:
        return None
    if not any(hmac.compare_digest(row.fingerprint, f) for f in fingerprints):
        raise RuleViolation(
            "idempotency_key_reused",
            "This Idempotency-Key was already used with a different request; use a new key for a new request.",
        )
    return JSONResponse(json.loads(row.body), status_code=row.status_code, headers={"Idempotent-Replayed": "true"})
