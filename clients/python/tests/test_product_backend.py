"""A product's backend with client credentials: the token is cached, access asked about anyone."""

from __future__ import annotations

from datetime import timedelta

import pytest

from entitle_client import NotSignedIn, ProductBackend

IDENTITY = "http://identity.test"
SEATS = "http://seats.test"


def backend(entitle, secret: str = "secret-1") -> ProductBackend:
    return ProductBackend(IDENTITY, SEATS, "client-1", secret, clock=entitle.clock, http=entitle.http())


def test_the_product_token_is_fetched_with_basic_auth_and_kept_until_it_expires(entitle) -> None:
    product = backend(entitle)
    assert product.check_access("designer", email="alice@example.com").allowed
    assert product.check_access("designer", user_id="person-1").allowed
    assert entitle.oauth_calls == 1
    token_request = entitle.requests[0]
    assert token_request.content == b"grant_type=client_credentials"
    entitle.clock.advance(timedelta(minutes=5))  # past expires_in (300 s)
    product.check_access("designer", email="alice@example.com")
    assert entitle.oauth_calls == 2


def test_a_signed_answer_is_verified(entitle) -> None:
    access = backend(entitle).check_access("designer", email="alice@example.com", signed=True)
    assert access.entitlement is not None and access.entitlement.product == "designer"
    assert entitle.requests[-2].url.params["email"] == "alice@example.com"


def test_a_wrong_secret_is_refused_as_invalid_client(entitle) -> None:
    with pytest.raises(NotSignedIn) as refused:
        backend(entitle, "wrong").check_access("designer", email="alice@example.com")
    assert refused.value.code == "invalid_client"


def test_exactly_one_subject_is_asked_about(entitle) -> None:
    with pytest.raises(ValueError, match="exactly one"):
        backend(entitle).check_access("designer", email="a@example.com", user_id="p")
