"""A thin HTTP client of the five services, for the demo, the CLI and the system tests."""

from __future__ import annotations

import asyncio
import time
import uuid
from collections.abc import Callable
from datetime import timedelta
from typing import Any, TypeVar

import httpx

from devkit.timemachine import Step, TimeMachine, operator_headers

T = TypeVar("T")


class EntitleError(Exception):
    def __init__(self, status: int, body: dict) -> None:
        super().__init__(f"{status} {body.get('code')}: {body.get('message')}")
        self.status, self.code, self.rule = status, body.get("code"), body.get("rule")


class EntitleClient:
    def __init__(
        self,
        urls: dict[str, str],
        token: str | None = None,
        timeout: float = 10.0,
        credentials: tuple[str, str] | None = None,
    ) -> None:
        self.urls, self.token, self._timeout = urls, token, timeout
        self._credentials = credentials

    @property
    def credentials(self) -> tuple[str, str] | None:
        """(e-mail, password) this client signed in with, if it did."""
        return self._credentials

    def as_(self, token: str, credentials: tuple[str, str] | None = None) -> EntitleClient:
        return EntitleClient(self.urls, token, self._timeout, credentials)

    def call(
        self, service: str, method: str, path: str, json: dict | None = None, idempotency_key: str | None = None
    ) -> Any:
        """The service's JSON answer: an object or an array, as the route answers."""
        headers = {"Authorization": f"Bearer {self.token}"} if self.token else {}
        if path.startswith("/ops/"):
            headers.update(operator_headers())  # OPERATOR_TOKEN of the environment, when set
        if idempotency_key:
            headers["Idempotency-Key"] = idempotency_key
        response = httpx.request(method, self.urls[service] + path, json=json, headers=headers, timeout=self._timeout)
        if response.status_code == 401 and self._credentials and "expired" in response.text:
            # Moving the test clock expires tokens, as a month would: sign in again once.
            self.token = self.sign_in(*self._credentials).token
            return self.call(service, method, path, json, idempotency_key)
        if response.status_code >= 400:
            raise EntitleError(response.status_code, response.json())
        return response.json()

    # -- identity ------------------------------------------------------------------------
    def register(
        self, company: str, email: str, name: str, locale: str = "en", password: str = "Correct-Horse-9"
    ) -> dict:
        return self.call(
            "identity",
            "POST",
            "/accounts",
            {
                "company_name": company,
                "email": email,
                "password": password,
                "name": name,
                "locale": locale,
                "accept_terms": True,
            },
        )

    def verify_email(self, email: str) -> dict:
        """Click the verification link (R1). Test-clock stacks only: they show the pending link."""
        return self.open_verification_link(
            self.call("identity", "GET", f"/ops/verification-links?email={email}")["verify_url"]
        )

    def open_verification_link(self, link: str) -> dict:
        """What the portal's landing page does with a mailed `<portal>/verifications?token=...`:
        identity's `POST /verifications` with the token (R1)."""
        return self.call("identity", "POST", "/verifications", {"token": link.split("token=", 1)[1]})

    def sign_in(self, email: str, password: str = "Correct-Horse-9") -> EntitleClient:
        answer = self.call("identity", "POST", "/tokens", {"email": email, "password": password})
        return self.as_(answer["access_token"], (email, password))

    def new_customer(self, name: str = "Ada Admin", locale: str = "en") -> EntitleClient:
        """Register an account, verify its administrator's e-mail and sign in."""
        email = f"admin-{uuid.uuid4().hex[:10]}@example.com"
        self.register(f"{name}'s company", email, name, locale)
        self.verify_email(email)
        return self.sign_in(email)

    # -- subscriptions, seats, billing ---------------------------------------------------
    def purchase(self, quantity: int, **plan) -> dict:
        """Buy: accepting the terms of sale (R45) unless `plan` says `accept_terms_of_sale=False`."""
        return self.call(
            "subscriptions", "POST", "/subscriptions", {"quantity": quantity, "accept_terms_of_sale": True, **plan}
        )

    def subscription(self, subscription_id: str) -> dict:
        return self.call("subscriptions", "GET", f"/subscriptions/{subscription_id}")

    def accept(self, subscription_id: str) -> dict:
        return self.call("subscriptions", "POST", f"/subscriptions/{subscription_id}/activation")

    def cancel(self, subscription_id: str, reason: str) -> dict:
        return self.call("subscriptions", "POST", f"/subscriptions/{subscription_id}/cancellation", {"reason": reason})

    def seats(self, subscription_id: str) -> dict:
        return self.call("seats", "GET", f"/subscriptions/{subscription_id}/seats")

    def assign(self, subscription_id: str, email: str) -> dict:
        return self.call("seats", "POST", f"/subscriptions/{subscription_id}/seats/assignments", {"email": email})

    def change_quantity(self, subscription_id: str, quantity: int, idempotency_key: str | None = None) -> dict:
        return self.call(
            "seats",
            "POST",
            f"/subscriptions/{subscription_id}/seats/quantity",
            {"quantity": quantity},
            idempotency_key=idempotency_key,
        )

    def invoice_lines(self, subscription_id: str) -> dict:
        return self.call("billing", "GET", f"/subscriptions/{subscription_id}/invoice-lines")

    def preview_tier_change(self, subscription_id: str, tier: str) -> dict:
        return self.call("subscriptions", "GET", f"/subscriptions/{subscription_id}/tier-change-preview?tier={tier}")

    def propose_amendment(self, subscription_id: str, tier: str) -> dict:
        return self.call("subscriptions", "POST", f"/subscriptions/{subscription_id}/amendments", {"tier": tier})

    def accept_amendment(self, subscription_id: str, amendment_id: str) -> dict:
        return self.call(
            "subscriptions", "POST", f"/subscriptions/{subscription_id}/amendments/{amendment_id}/acceptance"
        )

    def invoices(self) -> list:
        return self.call("billing", "GET", "/invoices")

    def invoice(self, invoice_id: str) -> dict:
        return self.call("billing", "GET", f"/invoices/{invoice_id}")

    def advance_clock(self, days: int = 0, seconds: int = 0) -> list[Step]:
        """Move the shared test clock as real time would: job by job, across every service."""

        async def travel() -> list[Step]:
            async with TimeMachine(self.urls) as machine:
                return await machine.advance(timedelta(days=days, seconds=seconds))

        return asyncio.run(travel())

    def settle(self) -> None:
        """Wait until every outbox is empty and every consumer group has read every topic."""

        async def wait() -> None:
            async with TimeMachine(self.urls) as machine:
                await machine.settle()

        asyncio.run(wait())

    def advance_subscription_clock(self, subscription_id: str, days: int = 0, seconds: int = 0) -> list[Step]:
        """Move one subscription's time ahead of the rest of the stack, as real time would."""

        async def travel() -> list[Step]:
            async with TimeMachine(self.urls) as machine:
                return await machine.advance_subject(subscription_id, timedelta(days=days, seconds=seconds))

        return asyncio.run(travel())

    # -- company contacts and the administrator transfer (R4, R17, R38) -----------------
    def add_company_contact(self, email: str, first_name: str, last_name: str, locale: str = "en") -> dict:
        """R4: a contact of the account this client's token acts for (linked, or invited)."""
        import jwt  # the account is the token's; its signature is the services' business

        if self.token is None:
            raise ValueError("sign in first: a contact is added to the account of the client's token")
        account_id = jwt.decode(self.token, options={"verify_signature": False})["acct"]
        return self.call(
            "identity",
            "POST",
            f"/accounts/{account_id}/contacts",
            {"email": email, "first_name": first_name, "last_name": last_name, "locale": locale},
        )

    def register_person(self, email: str, name: str, locale: str = "en", password: str = "Correct-Horse-9") -> dict:
        """R1, R4: a person without an account of their own (an invited contact, say)."""
        return self.call(
            "identity",
            "POST",
            "/people",
            {"email": email, "password": password, "name": name, "locale": locale, "accept_terms": True},
        )

    def transfer_administration(self, subscription_id: str, email: str) -> dict:
        """R17, R38: to a registered contact of the company, named by e-mail."""
        return self.call("subscriptions", "POST", f"/subscriptions/{subscription_id}/administrator", {"email": email})


def eventually(probe: Callable[[], T], timeout: float = 20.0, interval: float = 0.05, what: str = "condition") -> T:
    """Poll until `probe` returns something truthy without raising; fail after `timeout`."""
    deadline, last_error = time.monotonic() + timeout, None
    while time.monotonic() < deadline:
        try:
            if result := probe():
                return result
        except (EntitleError, AssertionError, httpx.HTTPError) as error:
            last_error = error
        time.sleep(interval)
    raise TimeoutError(f"{what} not reached within {timeout}s (last error: {last_error})")
