"""The dependencies routes declare: who calls, whether they are an operator, and the runner of
idempotent commands.

Routers are module-level (`router = APIRouter()` in each `api/<resource>.py`): they cannot
close over a runtime, so each dependency reads what it needs from the app, where
`servicekit.app.service_app` put it (`app.state.authenticator`, `.operators`, `.commands`).
A route then says what it needs in its signature:

    @router.post("/subscriptions/{subscription_id}/cancellation")
    async def cancel(subscription_id: str, body: CancellationRequest, caller: CurrentCaller,
                     commands: Commands, request: Request) -> SubscriptionAnswer: ...
"""

from __future__ import annotations

import hmac
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from typing import Annotated, Any

import jwt
from fastapi import Depends, Header, Request

from contracts.errors import Refusal, RuleViolation
from servicekit.clock import Clock
from servicekit.http.auth import Caller, TokenKeys, unauthenticated, verify_token
from servicekit.http.idempotency import CommandRunner
from servicekit.http.sessions import EndedSessions


@dataclass(frozen=True)
class Authenticator:
    """Turns an `Authorization` header into the caller: a valid token of a session that has
    not ended (`servicekit.http.sessions`; identity, which keeps its own sessions, has none)."""

    keys: TokenKeys
    clock: Clock
    ended_sessions: EndedSessions | None = None
    # Tokens already verified, until they expire: a product's backend or a desktop program
    # sends the same token for an hour, and checking its signature again each time was a
    # tenth of an access check. Bounded: emptied when full.
    _verified: dict[str, tuple[Caller, float]] = field(default_factory=dict, repr=False, compare=False)

    async def caller(self, authorization: str | None, *, products_too: bool = False) -> Caller:
        """`products_too`: a product client's token is accepted too (the access API only)."""
        if not authorization or not authorization.lower().startswith("bearer "):
            raise unauthenticated("Sign in and send the access token as 'Authorization: Bearer <token>'.")
        caller = self._verify(authorization[7:].strip())
        # A verified token always names its session (verify_token refuses one without a `sid`).
        if (
            self.ended_sessions is not None
            and caller.session_id is not None
            and await self.ended_sessions.is_ended(caller.session_id)
        ):
            raise unauthenticated("This session was signed out; sign in again.")
        if caller.is_product and not products_too:
            raise RuleViolation(
                "product_token",
                "A product's token may only ask the access API; sign in as a person for this.",
                refusal=Refusal.FORBIDDEN,
            )
        return caller

    def _verify(self, token: str) -> Caller:
        now = self.clock.now()
        known = self._verified.get(token)
        if known is not None and known[1] > now.timestamp():
            return known[0]
        caller = verify_token(self.keys, token, now)
        if len(self._verified) >= MAX_VERIFIED_TOKENS:
            self._verified.clear()
        self._verified[token] = (caller, _expiry(token))
        return caller


MAX_VERIFIED_TOKENS = 10_000


def _expiry(token: str) -> float:
    """The `exp` of a token just verified (so it is there and a number)."""
    return float(jwt.decode(token, options={"verify_signature": False})["exp"])


@dataclass(frozen=True)
class OperatorGate:
    """Every `/ops` route (termination, order decisions, the test clock, stats, outbox
    operations) needs `X-Operator-Token: <OPERATOR_TOKEN>`. Without an OPERATOR_TOKEN they are
    refused, except on a stack with a test clock (`make run`, the tests), where they are open.
    `/metrics` needs it too unless `METRICS_OPEN` says only the scraper reaches the port."""

    token: str
    open_without_token: bool  # a test clock's stack
    metrics_open: bool = False

    def check(self, sent: str | None) -> None:
        if not self.token:
            if self.open_without_token:
                return
            raise RuleViolation(
                "operator_routes_disabled",
                "Operator actions are off: set OPERATOR_TOKEN on the service and send it as 'X-Operator-Token'.",
                refusal=Refusal.FORBIDDEN,
            )
        if not hmac.compare_digest((sent or "").encode(), self.token.encode()):
            raise RuleViolation(
                "not_an_operator", "Send the operator token as 'X-Operator-Token'.", refusal=Refusal.FORBIDDEN
            )


async def current_caller(
    request: Request,
    authorization: Annotated[
        str | None, Header(description="`Bearer <access token>` from identity's `POST /tokens`.")
    ] = None,
) -> Caller:
    authenticator: Authenticator = request.app.state.authenticator
    return await authenticator.caller(authorization)


current_caller.entitle_access = "caller"  # type: ignore[attr-defined]  # read by servicekit.http.openapi


async def product_or_person_caller(
    request: Request,
    authorization: Annotated[
        str | None,
        Header(
            description="`Bearer <access token>`: a person's (identity's `POST /tokens`) or a product "
            "client's (identity's `POST /oauth/token`)."
        ),
    ] = None,
) -> Caller:
    authenticator: Authenticator = request.app.state.authenticator
    return await authenticator.caller(authorization, products_too=True)


product_or_person_caller.entitle_access = "caller"  # type: ignore[attr-defined]  # read by servicekit.http.openapi


async def require_operator(
    request: Request,
    x_operator_token: Annotated[str | None, Header(description="The service's `OPERATOR_TOKEN`.")] = None,
) -> None:
    gate: OperatorGate = request.app.state.operators
    gate.check(x_operator_token)


require_operator.entitle_access = "operator"  # type: ignore[attr-defined]  # read by servicekit.http.openapi


async def require_metrics_reader(
    request: Request,
    x_operator_token: Annotated[str | None, Header()] = None,
    authorization: Annotated[str | None, Header()] = None,
) -> None:
    """The operator token, also as `Authorization: Bearer`, which Prometheus' scrape
    configuration can send."""
    gate: OperatorGate = request.app.state.operators
    if gate.metrics_open:
        return
    bearer = authorization[7:].strip() if authorization and authorization.lower().startswith("bearer ") else None
    gate.check(x_operator_token or bearer)


def from_app_state(name: str) -> Callable[[Request], Awaitable[Any]]:
    """A dependency reading what the service's `app.py` put on `app.state.<name>` (its
    catalogue, its public URL, its mailer...):

        CatalogueDep = Annotated[Catalogue, Depends(from_app_state("catalogue"))]
    """

    # async, though it awaits nothing: FastAPI runs a plain `def` dependency in a worker thread,
    # a hand-over that cost more than the route it served (measured on the access check).
    async def read(request: Request) -> Any:
        return getattr(request.app.state, name)

    read.__name__ = f"app_state_{name}"
    return read


async def command_runner(request: Request) -> CommandRunner:
    runner: CommandRunner = request.app.state.commands
    return runner


CurrentCaller = Annotated[Caller, Depends(current_caller)]
"""The signed-in person and the account they act for (401 without a valid token)."""

ProductOrPersonCaller = Annotated[Caller, Depends(product_or_person_caller)]
"""A signed-in person, or a product client (`caller.is_product`): the access API's callers."""

Commands = Annotated[CommandRunner, Depends(command_runner)]
"""Runs a route's command in one transaction, once per Idempotency-Key."""

REQUIRES_OPERATOR = Depends(require_operator)
"""For `dependencies=[REQUIRES_OPERATOR]` on a router or route of operator actions."""

OPERATOR_ONLY = "Operators only: header `X-Operator-Token` (see `OPERATOR_TOKEN`)."
"""The first words of an operator route's description in the OpenAPI document."""
