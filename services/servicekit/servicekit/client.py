"""A thin HTTP client of the five services, for the demo, the CLI and the system tests."""
from __future__ import annotations

import time
import uuid
from typing import Callable, TypeVar

import httpx

T = TypeVar("T")


class EntitleError(Exception):
    def __init__(self, status: int, body: dict) -> None:
        super().__init__(f"{status} {body.get('code')}: {body.get('message')}")
        self.status, self.code, self.rule = status, body.get("code"), body.get("rule")


class EntitleClient:
    def __init__(self, urls: dict[str, str], token: str | None = None, timeout: float = 10.0,
                 credentials: tuple[str, str] | None = None) -> None:
        self.urls, self.token, self._timeout = urls, token, timeout
        self._credentials = credentials

    def as_(self, token: str, credentials: tuple[str, str] | None = None) -> "EntitleClient":
        return EntitleClient(self.urls, token, self._timeout, credentials)

    def call(self, service: str, method: str, path: str, json: dict | None = None,
             idempotency_key: str | None = None) -> dict | list:
        headers = {"Authorization": f"Bearer {self.token}"} if self.token else {}
        if idempotency_key:
            headers["Idempotency-Key"] = idempotency_key
        response = httpx.request(method, self.urls[service] + path, json=json, headers=headers,
                                 timeout=self._timeout)
        if response.status_code == 401 and self._credentials and "expired" in response.text:
            # Moving the test clock expires tokens, as a month would: sign in again once.
            self.token = self.sign_in(*self._credentials).token
            return self.call(service, method, path, json, idempotency_key)
        if response.status_code >= 400:
            raise EntitleError(response.status_code, response.json())
        return response.json()

    # -- identity ------------------------------------------------------------------------
    def register(self, company: str, email: str, name: str, locale: str = "en",
                 password: str = "Correct-Horse-9") -> dict:
        return self.call("identity", "POST", "/accounts", {
            "company_name": company, "email": email, "password": password, "name": name, "locale": locale})

    def sign_in(self, email: str, password: str = "Correct-Horse-9") -> "EntitleClient":
        answer = self.call("identity", "POST", "/tokens", {"email": email, "password": password})
        return self.as_(answer["access_token"], (email, password))

    def new_customer(self, name: str = "Ada Admin", locale: str = "en") -> "EntitleClient":
        email = f"admin-{uuid.uuid4().hex[:10]}@example.com"
        self.register(f"{name}'s company", email, name, locale)
        return self.sign_in(email)

    # -- subscriptions, seats, billing ---------------------------------------------------
    def purchase(self, quantity: int, **plan) -> dict:
        return self.call("subscriptions", "POST", "/subscriptions", {"quantity": quantity, **plan})

    def subscription(self, subscription_id: str) -> dict:
        return self.call("subscriptions", "GET", f"/subscriptions/{subscription_id}")

    def accept(self, subscription_id: str) -> dict:
        return self.call("subscriptions", "POST", f"/subscriptions/{subscription_id}/activation")

    def cancel(self, subscription_id: str, reason: str) -> dict:
        return self.call("subscriptions", "POST", f"/subscriptions/{subscription_id}/cancellation",
                         {"reason": reason})

    def seats(self, subscription_id: str) -> dict:
        return self.call("seats", "GET", f"/subscriptions/{subscription_id}/seats")

    def assign(self, subscription_id: str, email: str) -> dict:
        return self.call("seats", "POST", f"/subscriptions/{subscription_id}/seats/assignments",
                         {"email": email})

    def change_quantity(self, subscription_id: str, quantity: int, idempotency_key: str | None = None) -> dict:
        return self.call("seats", "POST", f"/subscriptions/{subscription_id}/seats/quantity",
                         {"quantity": quantity}, idempotency_key=idempotency_key)

    def invoice_lines(self, subscription_id: str) -> dict:
        return self.call("billing", "GET", f"/subscriptions/{subscription_id}/invoice-lines")

    def advance_clock(self, days: int = 0, seconds: int = 0) -> dict:
        """Move the shared test clock; every service fires what became due."""
        answer = self.call("subscriptions", "POST", "/ops/clock/advance", {"days": days, "seconds": seconds})
        for service in ("seats", "billing", "notifications", "identity"):
            self.call(service, "POST", "/ops/jobs/fire")
        return answer


def eventually(probe: Callable[[], T], timeout: float = 20.0, interval: float = 0.05,
               what: str = "condition") -> T:
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
