"""`ProductBackend`: a product's own server asking Entitle about its users.

An operator registers a product client at identity (`POST /ops/product-clients`): a client
id and secret scoped to one product. The backend exchanges them for a token (OAuth 2.0
client credentials, RFC 6749 4.4: identity `POST /oauth/token`), kept until shortly before
it expires, and asks seats `GET /access` about anyone, for its own product only.

    backend = ProductBackend(identity_url, seats_url, client_id, client_secret)
    access = backend.check_access("designer", email="alice@example.com")
"""

from __future__ import annotations

import threading
from datetime import datetime, timedelta
from types import TracebackType
from typing import Any
from urllib.parse import quote

import httpx

from entitle_client import _http
from entitle_client.clock import Clock, SystemClock
from entitle_client.errors import NotSignedIn
from entitle_client.models import Access
from entitle_client.verify import DEFAULT_LEEWAY, Entitlement, KeyStore, Verifier

_TOKEN_MARGIN = timedelta(seconds=30)


class ProductBackend:
    """A product's backend with its client credentials (thread-safe)."""

    def __init__(
        self,
        identity_url: str,
        seats_url: str,
        client_id: str,
        client_secret: str,
        *,
        clock: Clock | None = None,
        http: httpx.Client | None = None,
        leeway: timedelta = DEFAULT_LEEWAY,
        timeout: float = 10.0,
    ) -> None:
        self.identity_url = identity_url.rstrip("/")
        self.seats_url = seats_url.rstrip("/")
        self._client_id = client_id
        self._client_secret = client_secret
        self.clock: Clock = clock or SystemClock()
        self._own_http = http is None
        self.http = http or httpx.Client(timeout=timeout)
        self.keys = KeyStore(seats_url=self.seats_url, http=self.http, clock=self.clock)
        self.verifier = Verifier(self.keys, clock=self.clock, leeway=leeway)
        self._lock = threading.Lock()
        self._token: str | None = None
        self._expires: datetime | None = None

    def token(self) -> str:
        """A product token, fetched again shortly before it expires. A wrong or revoked
        client answers `NotSignedIn` with code `invalid_client`."""
        with self._lock:
            if self._token and self._expires and self.clock.now() < self._expires:
                return self._token
            answer = _http.request(
                self.http,
                "POST",
                self.identity_url + "/oauth/token",
                guard=None,
                data={"grant_type": "client_credentials"},
                # RFC 6749 2.3.1: each form-urlencoded before Basic encoding
                auth=(quote(self._client_id, safe=""), quote(self._client_secret, safe="")),
            ).json()
            self._token = str(answer["access_token"])
            self._expires = self.clock.now() + timedelta(seconds=int(answer.get("expires_in") or 0)) - _TOKEN_MARGIN
            return self._token

    def check_access(
        self,
        product: str,
        *,
        email: str | None = None,
        user_id: str | None = None,
        device_id: str | None = None,
        signed: bool = False,
    ) -> Access:
        """May this person (or device) use the product now? Exactly one of `email`,
        `user_id`, `device_id`. With `signed`, a positive answer carries a verified entitlement
        the backend may hand to its client."""
        given = {k: v for k, v in {"email": email, "user_id": user_id, "device_id": device_id}.items() if v}
        if len(given) != 1:
            raise ValueError("name exactly one of email, user_id or device_id")
        params: dict[str, str] = {"product": product, **given}
        if signed:
            params["signed"] = "true"
        response = self._get("/access", params)
        view: dict[str, Any] = response.json()
        entitlement: Entitlement | None = None
        if view.get("entitlement"):
            entitlement = self.verifier.verify(view["entitlement"], product=product, check_clock=False)
        return Access.of_view(product, view, entitlement)

    def _get(self, path: str, params: dict[str, str]) -> httpx.Response:
        token = self.token()
        try:
            return _http.request(self.http, "GET", self.seats_url + path, guard=None, token=token, params=params)
        except NotSignedIn:
            with self._lock:  # the token was refused (a rotated secret, a restarted stack): once more
                if self._token == token:
                    self._token = None
            return _http.request(self.http, "GET", self.seats_url + path, guard=None, token=self.token(), params=params)

    def close(self) -> None:
        if self._own_http:
            self.http.close()

    def __enter__(self) -> ProductBackend:
        return self

    def __exit__(
        self, kind: type[BaseException] | None, error: BaseException | None, trace: TracebackType | None
    ) -> None:
        self.close()
