"""Operator routes: accepting an account's documents (R3), and on a test stack only, the pending
verification link of an e-mail (so tests and the demo can click it)."""
from __future__ import annotations

from fastapi import APIRouter, Request

from contracts.errors import not_found
from identity.api.accounts import AccountView
from identity.handlers import accounts, registration
from servicekit.http import operator_dependency
from servicekit.runtime import ServiceRuntime


def routes(runtime: ServiceRuntime) -> APIRouter:
    router = APIRouter(prefix="/ops", tags=["operations"], dependencies=[operator_dependency(runtime)])

    @router.post("/accounts/{account_id}/verification", summary="Accept the account's documents (R3)")
    async def verify_account(account_id: str, request: Request):
        async def act(uow):
            return AccountView.of(await accounts.accept_documents(account_id, uow))
        return await runtime.command(request, None, None, act)

    if runtime.on_test_clock:
        @router.get("/verification-links", summary="Test stack only: the pending verification link")
        async def pending_link(email: str) -> dict:
            async with runtime.uow() as uow:
                url = await registration.pending_link(email, uow)
            if url is None:
                raise not_found("pending verification link for", email)
            return {"email": email, "verify_url": url}

    return router
