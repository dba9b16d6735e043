"""Product clients (issue 14): an operator registers, rotates and revokes them; a product's
backend gets a product token by the OAuth 2.0 client-credentials grant (RFC 6749 4.4), over
HTTP on SQLite and PostgreSQL."""

from __future__ import annotations

import base64
import uuid
from datetime import timedelta
from urllib.parse import quote_plus

import pytest
from sqlalchemy import select

from contracts.identity import SignedOut
from identity.handlers import sessions
from identity.store.tables import product_clients
from servicekit.http.auth import TokenKeys, product_session_id, verify_token
from servicekit.http.deps import Authenticator
from servicekit.http.sessions import EndedSessions

OPERATOR = {"X-Operator-Token": "op-secret"}
FORM = "application/x-www-form-urlencoded"


async def register(service, product: str = "cad", name: str = "CAD desktop backend") -> dict:
    answer = await service.post("/ops/product-clients", json={"product": product, "name": name}, headers=OPERATOR)
    assert answer.status_code == 201, answer.text
    assert answer.headers["Cache-Control"] == "no-store"
    return answer.json()


def basic(client_id: str, secret: str) -> dict:
    raw = f"{quote_plus(client_id)}:{quote_plus(secret)}".encode()
    return {"Authorization": f"Basic {base64.b64encode(raw).decode()}"}


async def token_by_basic(service, client: dict, secret: str | None = None, address: str | None = None):
    caller = service if address is None else service.driver.from_(address)
    return await caller.post(
        "/oauth/token",
        data={"grant_type": "client_credentials"},
        headers=basic(client["client_id"], secret or client["client_secret"]),
    )


async def token_by_form(service, client: dict, secret: str | None = None):
    form = {
        "grant_type": "client_credentials",
        "client_id": client["client_id"],
        "client_secret": secret or client["client_secret"],
    }
    return await service.post("/oauth/token", data=form)


def claims_of(service, token: str):
    settings = service.driver.runtime.settings
    return verify_token(TokenKeys(settings.token_secret), token, service.driver.runtime.clock.now())


async def test_an_operator_registers_a_client_and_its_secret_is_shown_once_and_stored_hashed(service):
    client = await register(service)
    assert client["product"] == "cad" and client["name"] == "CAD desktop backend"
    assert len(client["client_secret"]) >= 43  # 32 random bytes
    listed = await service.get("/ops/product-clients", headers=OPERATOR)
    assert listed.status_code == 200
    assert [c["client_id"] for c in listed.json()] == [client["client_id"]]
    assert "client_secret" not in listed.json()[0]
    async with service.driver.runtime.db.connect() as conn:
        stored = (await conn.execute(select(product_clients))).one()
    assert client["client_secret"] not in [str(v) for v in stored]


async def test_a_product_code_must_look_like_one_and_operators_only_may_register(service):
    refused = await service.post("/ops/product-clients", json={"product": "CAD Pro!", "name": "x"}, headers=OPERATOR)
    assert refused.status_code == 422
    anonymous = await service.post("/ops/product-clients", json={"product": "cad", "name": "x"})
    assert anonymous.status_code == 403


async def test_basic_auth_and_form_auth_both_get_a_product_token_for_the_clients_product(service):
    client = await register(service)
    for answer in (await token_by_basic(service, client), await token_by_form(service, client)):
        assert answer.status_code == 200, answer.text
        body = answer.json()
        assert body["token_type"] == "Bearer" and body["expires_in"] == 3600
        assert answer.headers["Cache-Control"] == "no-store"
        caller = claims_of(service, body["access_token"])
        assert caller.is_product and caller.product == "cad"
        assert caller.person_id == client["client_id"]
        assert caller.session_id == product_session_id(client["client_id"])


async def test_a_product_token_is_not_a_persons_token_at_identity(service):
    client = await register(service)
    token = (await token_by_basic(service, client)).json()["access_token"]
    answer = await service.get("/me/accounts", headers={"Authorization": f"Bearer {token}"})
    assert (answer.status_code, answer.json()["code"]) == (403, "product_token")


async def test_a_wrong_secret_or_an_unknown_client_is_401_invalid_client(service):
    client = await register(service)
    for answer in (
        await token_by_basic(service, client, secret="not-the-secret"),
        await token_by_form(service, client, secret="not-the-secret"),
        await token_by_basic(service, {**client, "client_id": str(uuid.uuid4())}),
    ):
        assert answer.status_code == 401
        assert answer.json()["error"] == "invalid_client"
        assert answer.headers["WWW-Authenticate"].startswith("Basic")


async def test_malformed_token_requests_answer_as_rfc_6749_says(service):
    client = await register(service)
    no_grant = await service.post("/oauth/token", data={"client_id": client["client_id"]})
    assert (no_grant.status_code, no_grant.json()["error"]) == (400, "invalid_request")
    password = await service.post(
        "/oauth/token", data={"grant_type": "password"}, headers=basic(client["client_id"], client["client_secret"])
    )
    assert (password.status_code, password.json()["error"]) == (400, "unsupported_grant_type")
    both = await service.post(
        "/oauth/token",
        data={"grant_type": "client_credentials", "client_id": client["client_id"]},
        headers=basic(client["client_id"], client["client_secret"]),
    )
    assert (both.status_code, both.json()["error"]) == (400, "invalid_request")
    none = await service.post("/oauth/token", data={"grant_type": "client_credentials"})
    assert (none.status_code, none.json()["error"]) == (401, "invalid_client")
    garbage = await service.post(
        "/oauth/token", data={"grant_type": "client_credentials"}, headers={"Authorization": "Basic %%%"}
    )
    assert (garbage.status_code, garbage.json()["error"]) == (401, "invalid_client")
    as_json = await service.post(
        "/oauth/token",
        json={"grant_type": "client_credentials"},
        headers=basic(client["client_id"], client["client_secret"]),
    )
    assert (as_json.status_code, as_json.json()["error"]) == (400, "invalid_request")


async def test_failures_are_throttled_per_address_and_per_client_id_but_not_the_products_own_backend(service):
    client = await register(service)
    for _ in range(10):  # one address guessing this client's secret
        assert (await token_by_basic(service, client, secret="guess", address="10.0.0.9")).status_code == 401
    blocked = await token_by_basic(service, client, secret="guess", address="10.0.0.9")
    assert blocked.status_code == 429 and int(blocked.headers["Retry-After"]) > 0
    right_secret_from_the_guesser = await token_by_basic(service, client, address="10.0.0.9")
    assert right_secret_from_the_guesser.status_code == 429
    # The product's own backend has not been failing: it still gets its tokens.
    assert (await token_by_basic(service, client, address="10.0.0.1")).status_code == 200

    other = await register(service, name="another")
    for _ in range(10):  # the address's 20 failures, whatever the client ids
        await token_by_basic(service, other, secret="guess", address="10.0.0.9")
    spraying = await token_by_basic(service, await register(service, name="third"), address="10.0.0.9")
    assert spraying.status_code == 429


async def test_rotation_keeps_the_previous_secret_working_for_its_grace_then_only_the_new_one(service, clock):
    client = await register(service)
    rotated = await service.post(
        f"/ops/product-clients/{client['client_id']}/secret", json={"previous_valid_seconds": 600}, headers=OPERATOR
    )
    assert rotated.status_code == 200, rotated.text
    new_secret = rotated.json()["client_secret"]
    assert new_secret != client["client_secret"]
    assert (await token_by_basic(service, client)).status_code == 200  # the previous, within its grace
    assert (await token_by_basic(service, client, secret=new_secret)).status_code == 200
    clock.advance(timedelta(seconds=600))
    assert (await token_by_basic(service, client)).status_code == 401
    assert (await token_by_basic(service, client, secret=new_secret)).status_code == 200


async def test_rotation_with_no_grace_ends_the_previous_secret_at_once(service):
    client = await register(service)
    rotated = await service.post(
        f"/ops/product-clients/{client['client_id']}/secret", json={"previous_valid_seconds": 0}, headers=OPERATOR
    )
    assert (await token_by_form(service, client)).status_code == 401
    assert (await token_by_form(service, client, secret=rotated.json()["client_secret"])).status_code == 200
    default = await service.post(f"/ops/product-clients/{client['client_id']}/secret", headers=OPERATOR)
    assert default.json()["previous_secret_valid_until"] is not None  # a day by default
    unknown = await service.post(f"/ops/product-clients/{uuid.uuid4()}/secret", headers=OPERATOR)
    assert unknown.status_code == 404


async def test_a_revoked_client_gets_no_token_and_its_tokens_are_refused_everywhere(service):
    client = await register(service)
    issued = (await token_by_basic(service, client)).json()["access_token"]
    revoked = await service.delete(f"/ops/product-clients/{client['client_id']}", headers=OPERATOR)
    assert revoked.status_code == 200 and revoked.json()["revoked_at"] is not None
    assert (await token_by_basic(service, client)).status_code == 401

    # Every other service learns it from identity.signed_out, naming the client's session.
    [event] = await service.driver.published("identity.signed_out")
    assert event["data"]["person_id"] == client["client_id"] and event["data"]["account_id"] == ""
    assert event["data"]["session_id"] == product_session_id(client["client_id"])
    runtime = service.driver.runtime
    ended = EndedSessions(runtime.db, timedelta(hours=1))
    async with runtime.uow() as uow:
        await ended.record(SignedOut.model_validate(event["data"]), uow)
        await uow.commit()
    elsewhere = Authenticator(TokenKeys(runtime.settings.token_secret), runtime.clock, ended)
    with pytest.raises(Exception, match="signed out"):
        await elsewhere.caller(f"Bearer {issued}", products_too=True)

    # Identity's own check refuses the client's session too.
    async with runtime.uow() as uow:
        with pytest.raises(Exception, match="signed out"):
            await sessions.ensure_session_open(claims_of(service, issued), uow)

    again = await service.delete(f"/ops/product-clients/{client['client_id']}", headers=OPERATOR)
    assert again.status_code == 200 and len(await service.driver.published("identity.signed_out")) == 1
    rotate = await service.post(f"/ops/product-clients/{client['client_id']}/secret", headers=OPERATOR)
    assert (rotate.status_code, rotate.json()["code"]) == (409, "product_client_revoked")
    listed = (await service.get("/ops/product-clients", params={"product": "cad"}, headers=OPERATOR)).json()
    assert listed[0]["revoked_at"] is not None
