"""A customer on the bench's stack, set up through the public APIs as a person would: an
administrator registered and verified from the e-mail, signed in, buying and activating
subscriptions. The portal's and the licensing parts start from one; nothing here is timed."""

from __future__ import annotations

import asyncio
import time
import uuid
from typing import Any

import httpx

from devkit.devstack import SERVICES, DevStack
from devkit.mailbox import verification_token

PASSWORD = "Correct-Horse-9"


class BenchCustomer:
    def __init__(self, stack: DevStack, prefix: str) -> None:
        self.urls = {s: stack.config.url(s) for s in SERVICES}
        self._mail_dir = stack.config.mail_dir
        self.api = httpx.AsyncClient(timeout=120.0)
        self.token = ""
        self.email = f"{prefix}-{uuid.uuid4().hex[:10]}@example.com"

    async def close(self) -> None:
        await self.api.aclose()

    async def call(
        self,
        method: str,
        service: str,
        path: str,
        body: Any = None,
        token: str | None = None,
        params: dict[str, Any] | None = None,
    ) -> httpx.Response:
        """One API call as the administrator (or with `token`); a refusal raises."""
        bearer = self.token if token is None else token
        headers = {"Authorization": f"Bearer {bearer}"} if bearer else {}
        if method != "GET":
            headers["Idempotency-Key"] = str(uuid.uuid4())
        answer = await self.api.request(
            method, self.urls[service] + path, json=body, params=params or None, headers=headers
        )
        if answer.status_code >= 400:
            raise RuntimeError(f"{service} {method} {path}: {answer.status_code} {answer.text[:300]}")
        return answer

    async def until(self, what: str, check: Any, timeout: float = 120.0) -> Any:
        deadline = time.monotonic() + timeout
        while not (found := await check()):
            if time.monotonic() > deadline:
                raise TimeoutError(f"bench: {what} not within {timeout:.0f} s")
            await asyncio.sleep(0.2)
        return found

    async def register(self, company: str) -> None:
        """Registered, verified from the e-mail's link token, and signed in."""
        await self.call(
            "POST",
            "identity",
            "/accounts",
            {
                "company_name": company,
                "email": self.email,
                "password": PASSWORD,
                "name": "Bench",
                "locale": "en",
                "accept_terms": True,
            },
        )

        async def mailed() -> str | None:
            return await asyncio.to_thread(verification_token, self._mail_dir, self.email)

        await self.call("POST", "identity", "/verifications", {"token": await self.until("verification", mailed)})
        self.token = (
            await self.call("POST", "identity", "/tokens", {"email": self.email, "password": PASSWORD})
        ).json()["access_token"]

    async def buy(self, **order: Any) -> str:
        """A subscription bought (R45), its agreement accepted, its seats unlocked: its id."""
        sid: str = (
            await self.call("POST", "subscriptions", "/subscriptions", {"accept_terms_of_sale": True, **order})
        ).json()["id"]

        async def accepted() -> bool:
            try:
                await self.call("POST", "subscriptions", f"/subscriptions/{sid}/activation")
            except RuntimeError:
                return False  # not yet pending activation (its agreement is on its way)
            return True

        await self.until("the activation", accepted)

        async def unlocked() -> bool:
            try:
                pool = (await self.call("GET", "seats", f"/subscriptions/{sid}/seats")).json()
            except RuntimeError:
                return False  # seats has not heard of it yet
            return bool(pool.get("status") == "unlocked")

        await self.until("the seats unlocked", unlocked)
        return sid
