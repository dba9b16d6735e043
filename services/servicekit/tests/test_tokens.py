"""Access tokens and the secret that signs them (issue 11, item 3).

A token forged with the public default secret, living ten years and naming no session, was
accepted by every service. Now: a service off a test clock refuses to start with a default,
empty or short secret; a token must name its session and live no longer than
TOKEN_TTL_SECONDS; a previous secret verifies (never signs) during a rotation.
"""

from __future__ import annotations

import importlib
import subprocess
import sys
from datetime import UTC, datetime, timedelta

import jwt
import pytest
from sqlalchemy import MetaData

from contracts.errors import RuleViolation
from devkit.devstack import free_port
from servicekit.clock import FixedClock, SharedTestClock, SystemClock
from servicekit.http.auth import (
    ISSUER,
    Caller,
    TokenKeys,
    issue_product_token,
    issue_token,
    product_session_id,
    verify_token,
)
from servicekit.http.deps import Authenticator
from servicekit.runtime import ServiceRuntime, UnsafeConfiguration
from servicekit.settings import DEV_TOKEN_SECRET, ServiceSettings

NOW = datetime(2026, 1, 5, 9, 0, tzinfo=UTC)
SECRET = "a" * 24 + "-current-secret-of-40-bytes"
OLD_SECRET = "b" * 24 + "-previous-secret-of-40-bytes"
ADA = Caller(person_id="p-ada", account_id="a-1", email="ada@example.com", session_id="s-1")
KEYS = TokenKeys(SECRET, max_lifetime=timedelta(hours=1))


def forged(secret: str, **claims) -> str:
    base = {
        "iss": ISSUER,
        "sub": "p-ada",
        "acct": "a-1",
        "sid": "s-1",
        "iat": int(NOW.timestamp()),
        "exp": int((NOW + timedelta(hours=1)).timestamp()),
    }
    return jwt.encode({k: v for k, v in {**base, **claims}.items() if v is not None}, secret, algorithm="HS256")


def refusal(keys: TokenKeys, token: str) -> str:
    with pytest.raises(RuleViolation) as refused:
        verify_token(keys, token, NOW)
    assert refused.value.code == "unauthenticated"
    return refused.value.message


def test_a_token_of_the_configured_lifetime_naming_its_session_is_accepted():
    token = issue_token(SECRET, ADA, NOW, timedelta(hours=1))
    assert verify_token(KEYS, token, NOW + timedelta(minutes=59)) == ADA


def test_a_token_forged_with_a_ten_year_expiry_is_refused():
    ten_years = int((NOW + timedelta(days=3650)).timestamp())
    assert "lives longer" in refusal(KEYS, forged(SECRET, exp=ten_years))


def test_a_token_without_a_session_id_is_refused():
    assert "sid" in refusal(KEYS, forged(SECRET, sid=None))


def test_a_token_without_an_issue_time_is_refused():
    assert "iat" in refusal(KEYS, forged(SECRET, iat=None))


@pytest.mark.parametrize("sid", ["", 7, "s" * 65])
def test_a_token_whose_session_id_is_not_one_is_refused(sid):
    assert "session" in refusal(KEYS, forged(SECRET, sid=sid))


def test_a_token_issued_in_the_future_is_refused():
    later = NOW + timedelta(hours=2)
    assert "future" in refusal(
        KEYS, forged(SECRET, iat=int(later.timestamp()), exp=int((later + timedelta(minutes=30)).timestamp()))
    )


def test_the_lifetime_limit_follows_the_services_setting():
    day = forged(SECRET, exp=int((NOW + timedelta(hours=24)).timestamp()))
    assert verify_token(TokenKeys(SECRET, max_lifetime=timedelta(hours=24)), day, NOW).person_id == "p-ada"
    assert "lives longer" in refusal(KEYS, day)


def test_issued_tokens_always_name_a_session():
    token = issue_token(SECRET, Caller("p-1", "a-1", "x@example.com"), NOW, timedelta(hours=1))
    assert verify_token(KEYS, token, NOW).session_id


def test_rotation_a_previous_secret_verifies_but_an_unknown_one_does_not():
    rotating = TokenKeys(SECRET, previous=(OLD_SECRET,), max_lifetime=timedelta(hours=1))
    signed_before = issue_token(OLD_SECRET, ADA, NOW, timedelta(hours=1))
    assert verify_token(rotating, signed_before, NOW) == ADA
    assert verify_token(rotating, issue_token(SECRET, ADA, NOW, timedelta(hours=1)), NOW) == ADA
    assert "Signature" in refusal(KEYS, signed_before)  # once the old secret is removed
    assert "Signature" in refusal(rotating, issue_token("c" * 40, ADA, NOW, timedelta(hours=1)))


def test_rotation_a_refusal_other_than_the_signature_is_not_retried_with_another_key():
    rotating = TokenKeys(SECRET, previous=(OLD_SECRET,))
    wrong_issuer = jwt.encode(
        {"iss": "someone", "sub": "p", "acct": "a", "sid": "s", "iat": 1, "exp": 2}, SECRET, algorithm="HS256"
    )
    assert "issuer" in refusal(rotating, wrong_issuer).lower()


def test_the_none_algorithm_is_refused():
    unsigned = jwt.encode(
        {
            "iss": ISSUER,
            "sub": "p-ada",
            "acct": "a-1",
            "sid": "s-1",
            "iat": int(NOW.timestamp()),
            "exp": int(NOW.timestamp()) + 60,
        },
        None,
        algorithm="none",
    )
    refusal(KEYS, unsigned)


# -- the secret a service starts with ------------------------------------------------------


@pytest.mark.parametrize(
    "secret, problem",
    [
        (DEV_TOKEN_SECRET, "published development value"),
        ("entitle-dev-only-token-secret-change-me", "published development value"),
        ("", "empty"),
        ("short-but-random-Xq1", "shorter than 32 bytes"),
    ],
)
def test_a_default_empty_or_short_token_secret_is_a_production_problem(secret, problem):
    problems = ServiceSettings(token_secret=secret).production_problems()
    assert any(p.startswith("TOKEN_SECRET") and problem in p for p in problems), problems


def test_a_long_random_secret_and_operator_token_are_no_problem():
    settings = ServiceSettings(
        token_secret="k" * 48, operator_token="o" * 40, token_previous_secrets=" " + "p" * 40 + " ,"
    )
    assert settings.production_problems() == []
    assert settings.previous_token_secrets() == ("p" * 40,)


def test_a_short_previous_secret_or_operator_token_is_a_production_problem():
    problems = ServiceSettings(
        token_secret="k" * 48, operator_token="dev-only-set-me", token_previous_secrets="old"
    ).production_problems()
    assert [p.split(" ")[0] for p in problems] == ["a", "OPERATOR_TOKEN"]


def runtime_on(clock, tmp_path, **settings) -> ServiceRuntime:
    return ServiceRuntime(
        ServiceSettings(service_name="kit", database_url=f"sqlite:///{tmp_path}/kit.db", **settings),
        MetaData(),
        clock=clock,
    )


async def test_a_service_on_real_time_refuses_to_start_with_the_default_secret_naming_every_problem(tmp_path):
    runtime = runtime_on(SystemClock(), tmp_path, operator_token="short")
    with pytest.raises(UnsafeConfiguration) as refused:
        await runtime.start()  # refused before it touches the database or the broker
    assert [p.split(" ")[0] for p in refused.value.problems] == ["TOKEN_SECRET", "OPERATOR_TOKEN"]
    assert "(1) TOKEN_SECRET" in str(refused.value) and "(2) OPERATOR_TOKEN" in str(refused.value)
    assert not (tmp_path / "kit.db").exists()


@pytest.mark.parametrize("clock", ["shared", "fixed"])
def test_a_test_clock_stack_may_use_the_default_secret(clock, tmp_path):
    on = SharedTestClock(tmp_path / "clock.json") if clock == "shared" else FixedClock(NOW)
    runtime_on(on, tmp_path).refuse_unsafe_configuration()  # no error


def test_a_service_process_with_the_default_secret_exits_with_one_line_naming_it(tmp_path):
    env = {
        "PATH": "/usr/bin:/bin",
        "VAR_DIR": str(tmp_path),
        "BILLING_HTTP_PORT": str(free_port()),
        "KAFKA_BOOTSTRAP_SERVERS": f"127.0.0.1:{free_port()}",
        "PORTAL_URL": "https://portal.example.com",
    }
    ran = subprocess.run([sys.executable, "-m", "billing"], env=env, capture_output=True, text=True, timeout=120)
    assert ran.returncode == 1, ran.stdout + ran.stderr
    assert (
        "billing refuses to start outside a test clock: (1) TOKEN_SECRET is a published development value" in ran.stderr
    )
    assert "Traceback" not in ran.stderr


def test_the_example_environment_file_ships_no_usable_secret():
    from pathlib import Path

    from dotenv import dotenv_values

    example = dotenv_values(Path(__file__).resolve().parents[3] / "infra" / ".env.example")
    settings = ServiceSettings(token_secret=example["TOKEN_SECRET"], operator_token=example["OPERATOR_TOKEN"])
    assert [p.split(" ")[0] for p in settings.production_problems()] == ["TOKEN_SECRET", "OPERATOR_TOKEN"]


# Every link in every e-mail opens the portal: one setting, PORTAL_URL, read by each of them.
MAILING_SERVICES = [
    ("identity", "IdentitySettings"),
    ("subscriptions", "SubscriptionsSettings"),
    ("seats", "SeatsSettings"),
    ("billing", "BillingSettings"),
    ("portal", "PortalSettings"),
]


@pytest.mark.parametrize(("service", "settings_class"), MAILING_SERVICES)
@pytest.mark.parametrize(
    ("url", "refused"),
    [
        ("", True),
        ("http://shop.example.com", True),
        ("https://shop.example.com", False),
        ("http://127.0.0.1:8101", False),
        ("ftp://x", True),
    ],
)
def test_a_service_that_mails_links_needs_a_configured_https_portal_url_in_production(
    service, settings_class, url, refused, monkeypatch
):
    """Issue 11 item 4: links come only from configured URLs, never a request's Host header,
    so a production start without one (or with one that would carry tokens in clear) is refused.
    Issue 13: they all open the portal, whose address is the one setting PORTAL_URL."""
    for name in ("PORTAL_URL", f"{service.upper()}_PORTAL_URL"):
        monkeypatch.delenv(name, raising=False)
    settings_of = getattr(importlib.import_module(f"{service}.settings"), settings_class)
    problems = settings_of(token_secret="s" * 48, portal_url=url).production_problems()
    # Only the portal's problem is looked at here (seats also needs its signing keys, issue 14).
    assert [p.split(" ")[0] for p in problems if p.startswith("PORTAL_URL")] == (["PORTAL_URL"] if refused else [])


def test_one_variable_points_every_service_s_links_at_the_portal(monkeypatch):
    monkeypatch.setenv("PORTAL_URL", "https://portal.example.com/")
    for service, settings_class in MAILING_SERVICES:
        settings_of = getattr(importlib.import_module(f"{service}.settings"), settings_class)
        assert settings_of().resolved_portal_url() == "https://portal.example.com", service


# Product clients' tokens (issue 14): a product may ask the access API about its product, and
# nothing else; a person's token is not mistaken for one.


def test_a_product_token_names_its_client_and_product_and_no_person():
    token = issue_product_token(SECRET, "pc-1", "designer", NOW, timedelta(hours=1))
    caller = verify_token(KEYS, token, NOW)
    assert (caller.person_id, caller.account_id, caller.product, caller.is_product) == ("pc-1", "", "designer", True)
    assert caller.session_id == product_session_id("pc-1")


def test_a_product_token_without_its_product_is_refused():
    assert "names no product" in refusal(KEYS, forged(SECRET, kind="product", acct=None))


def test_a_person_token_without_an_account_is_still_refused():
    assert "names no person or account" in refusal(KEYS, forged(SECRET, acct=None))


async def test_a_product_token_is_refused_everywhere_but_where_products_are_accepted():
    authenticator = Authenticator(KEYS, FixedClock(NOW))
    bearer = "Bearer " + issue_product_token(SECRET, "pc-1", "designer", NOW, timedelta(hours=1))
    with pytest.raises(RuleViolation) as refused:
        await authenticator.caller(bearer)
    assert refused.value.code == "product_token"
    assert (await authenticator.caller(bearer, products_too=True)).product == "designer"
    person = "Bearer " + issue_token(SECRET, ADA, NOW, timedelta(hours=1))
    assert (await authenticator.caller(person, products_too=True)).is_product is False
