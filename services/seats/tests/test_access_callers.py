"""Who may ask the access API (issue 14): a product client about anyone, for ITS product only;
a person about themselves; an administrator about the users of the subscriptions they
administer. Anyone else is answered exactly as about nobody. A product's token opens no other
route."""

from __future__ import annotations

from datetime import timedelta

import httpx
import pytest

from contracts.testing import SUBSCRIPTION_ID
from servicekit.http.auth import Caller, issue_product_token

from .test_entitlements import named_pool_with_ann
from .test_routes import ADMINISTRATOR_CALLER, ANN, EVE, auth

OTHER_ADMIN = Caller(person_id="p-olga", account_id="a-other", email="olga@example.com", session_id="s-olga")


@pytest.fixture
async def http(seats):
    transport = httpx.ASGITransport(app=seats.runtime.app)
    async with httpx.AsyncClient(transport=transport, base_url="http://seats") as client:
        yield client


def product_auth(seats, product: str = "designer", client_id: str = "c-designer") -> dict[str, str]:
    secret = seats.runtime.settings.token_secret
    token = issue_product_token(secret, client_id, product, seats.clock.now(), timedelta(minutes=30))
    return {"Authorization": f"Bearer {token}"}


async def ask(http, headers, product="designer", **who):
    answer = await http.get("/access", params={"product": product, "signed": "true", **who}, headers=headers)
    assert answer.status_code == 200, answer.text
    return answer.json()


async def test_a_product_client_asks_about_anyone_for_its_own_product_signed(seats, http):
    await named_pool_with_ann(seats)
    answer = await ask(http, product_auth(seats), email=ANN.email)
    assert (answer["allowed"], answer["licence_type"], answer["subscription_id"]) == (
        True,
        "named_user",
        SUBSCRIPTION_ID,
    )
    claims = seats.runtime.app.state.signer.verify(answer["entitlement"], seats.clock.now().timestamp())
    assert (claims["email"], claims["product"]) == (ANN.email, "designer")


async def test_a_cross_tenant_probe_is_answered_as_about_nobody(seats, http):
    await named_pool_with_ann(seats)
    nobody = await ask(http, auth(seats, OTHER_ADMIN), email="nobody@example.com")
    for asker in (OTHER_ADMIN, EVE):  # another company's administrator, another person
        probed = await ask(http, auth(seats, asker), email=ANN.email)
        assert probed == nobody and probed["allowed"] is False and probed["entitlement"] is None
    assert (await ask(http, auth(seats, ANN), email=ANN.email))["allowed"] is True  # about herself
    assert (await ask(http, auth(seats, ADMINISTRATOR_CALLER), email=ANN.email))["allowed"] is True  # her admin


async def test_a_product_client_of_another_product_is_answered_as_about_nobody(seats, http):
    await named_pool_with_ann(seats)
    nobody = await ask(http, product_auth(seats), email="nobody@example.com")
    # a client of "viewer" asking about designer: nobody, whoever is asked about
    probed = await ask(http, product_auth(seats, product="viewer", client_id="c-viewer"), email=ANN.email)
    assert probed == nobody and probed["allowed"] is False
    # and about its own product, where Ann holds nothing: nobody too
    assert (await ask(http, product_auth(seats, "viewer", "c-viewer"), product="viewer", email=ANN.email)) == {
        **nobody,
        "reason": nobody["reason"].replace("designer", "viewer"),
    }


async def test_a_product_token_is_refused_on_every_other_seats_route(seats, http):
    await named_pool_with_ann(seats)
    for method, path in (
        ("GET", f"/subscriptions/{SUBSCRIPTION_ID}/users"),
        ("GET", f"/subscriptions/{SUBSCRIPTION_ID}/keys"),
        ("GET", "/me/software"),
        ("POST", "/licence-files"),
    ):
        body = {"key": "0000-0000-0000-0000", "fingerprint": "f" * 16} if method == "POST" else None
        answer = await http.request(method, path, headers=product_auth(seats), json=body)
        assert answer.status_code == 403 and answer.json()["code"] == "product_token", (path, answer.text)
