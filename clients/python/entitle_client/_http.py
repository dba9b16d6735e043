"""One request to Entitle, its answer mapped to the library's errors.

Entitle's services answer errors as `{code, message, rule}`; identity's OAuth endpoint as
RFC 6749 `{error, error_description}`. A transport failure, a timeout and a 5xx are all
`Unreachable` (the product may work offline); 429 is `RateLimited`; 401 `NotSignedIn`.
Every answer's `Date` header is a time Entitle vouched for (the clock-rollback guard).
"""

from __future__ import annotations

from typing import Any

import httpx

from entitle_client.clock import ClockGuard
from entitle_client.errors import ApiError, NotSignedIn, RateLimited, Unreachable

USER_AGENT = "entitle-client/0.1"


def request(
    http: httpx.Client,
    method: str,
    url: str,
    *,
    guard: ClockGuard | None,
    token: str | None = None,
    json: Any = None,
    data: dict[str, str] | None = None,
    params: dict[str, str] | None = None,
    auth: tuple[str, str] | None = None,
) -> httpx.Response:
    headers = {"User-Agent": USER_AGENT, "Accept": "application/json"}
    if token is not None:
        headers["Authorization"] = f"Bearer {token}"
    try:
        response = http.request(method, url, headers=headers, json=json, data=data, params=params, auth=auth)
    except httpx.TransportError as error:
        raise Unreachable(f"Entitle cannot be reached ({type(error).__name__}: {error})") from error
    if guard is not None:
        guard.observe_date_header(response.headers.get("Date"))
    status = response.status_code
    if status < 400:
        return response
    if status >= 500:
        raise Unreachable(f"Entitle cannot be reached (it answered {status})")
    code, message, rule = _error_body(response)
    if status == 429:
        raise RateLimited(status, code, message, rule, _retry_after(response))
    if status == 401:
        raise NotSignedIn(status, code, message, rule)
    raise ApiError(status, code, message, rule)


def _error_body(response: httpx.Response) -> tuple[str, str, str | None]:
    try:
        body = response.json()
    except ValueError:
        body = None
    if isinstance(body, dict):
        if "code" in body:
            return str(body["code"]), str(body.get("message") or ""), body.get("rule")
        if "error" in body:  # RFC 6749 5.2
            return str(body["error"]), str(body.get("error_description") or ""), None
    return f"http_{response.status_code}", response.reason_phrase or "refused", None


def _retry_after(response: httpx.Response) -> float:
    try:
        return max(0.0, float(response.headers.get("Retry-After", "30")))
    except ValueError:
        return 30.0
