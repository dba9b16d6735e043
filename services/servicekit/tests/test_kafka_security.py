"""The one place that turns Kafka connection settings into client arguments (servicekit.messaging.kafka).
tests/broker proves them against a secured door; these check the translation and refusals."""

from __future__ import annotations

import ssl

import pytest
from faststream.security import SASLPlaintext, SASLScram256, SASLScram512
from pydantic import ValidationError
from pydantic_settings import SettingsConfigDict

from servicekit.messaging.kafka import KafkaSecurity, client_options
from servicekit.settings import ServiceSettings

SASL = {"security_protocol": "SASL_SSL", "username": "seats", "password": "s3cret-kafka-password"}


def test_without_settings_a_client_connects_in_plaintext_as_the_embedded_broker_needs(monkeypatch):
    for name in ("KAFKA_SECURITY_PROTOCOL", "KAFKA_USERNAME", "KAFKA_PASSWORD"):
        monkeypatch.delenv(name, raising=False)
    assert client_options("127.0.0.1:9092") == {"bootstrap_servers": "127.0.0.1:9092", "security_protocol": "PLAINTEXT"}
    assert KafkaSecurity().faststream_security() is None


@pytest.mark.parametrize(
    "mechanism, kind", [("SCRAM-SHA-512", SASLScram512), ("SCRAM-SHA-256", SASLScram256), ("PLAIN", SASLPlaintext)]
)
def test_sasl_over_tls_gives_aiokafka_and_faststream_the_mechanism_credentials_and_a_verifying_tls_context(
    mechanism, kind
):
    security = KafkaSecurity(sasl_mechanism=mechanism, **SASL)
    options = security.client_options()
    assert (options["security_protocol"], options["sasl_mechanism"]) == ("SASL_SSL", mechanism)
    assert (options["sasl_plain_username"], options["sasl_plain_password"]) == ("seats", SASL["password"])
    context = options["ssl_context"]
    assert context.verify_mode == ssl.CERT_REQUIRED and context.check_hostname
    broker_side = security.faststream_security()
    assert isinstance(broker_side, kind) and broker_side.use_ssl and broker_side.ssl_context.check_hostname


def test_tls_without_sasl_verifies_the_brokers_and_sends_no_credentials():
    options = KafkaSecurity(security_protocol="SSL").client_options()
    assert options["security_protocol"] == "SSL" and "sasl_mechanism" not in options
    assert options["ssl_context"].verify_mode == ssl.CERT_REQUIRED


@pytest.mark.parametrize("incomplete", [{"username": ""}, {"password": ""}])
def test_sasl_without_a_username_or_a_password_is_refused_before_anything_connects(incomplete):
    with pytest.raises(ValidationError, match="KAFKA_USERNAME and KAFKA_PASSWORD"):
        KafkaSecurity(**{**SASL, **incomplete})


def test_plain_is_refused_without_tls_because_it_sends_the_password_as_it_is():
    with pytest.raises(ValidationError, match="SASL_SSL"):
        KafkaSecurity(**{**SASL, "security_protocol": "SASL_PLAINTEXT"}, sasl_mechanism="PLAIN")
    assert KafkaSecurity(**{**SASL, "security_protocol": "SASL_PLAINTEXT"}).sasl_mechanism == "SCRAM-SHA-512"


def test_a_service_takes_its_kafka_security_from_its_settings_its_own_prefix_first(monkeypatch):
    class SeatsLike(ServiceSettings):
        model_config = SettingsConfigDict(env_prefix="SEATS_")

    monkeypatch.setenv("KAFKA_SECURITY_PROTOCOL", "SASL_SSL")
    monkeypatch.setenv("KAFKA_USERNAME", "shared")
    monkeypatch.setenv("SEATS_KAFKA_USERNAME", "seats")
    monkeypatch.setenv("SEATS_KAFKA_PASSWORD", "seats-password")
    security = KafkaSecurity.of(SeatsLike())
    assert (security.security_protocol, security.username) == ("SASL_SSL", "seats")
    assert security.password.get_secret_value() == "seats-password"
    assert "seats-password" not in repr(security) and "seats-password" not in repr(SeatsLike())


def test_the_tools_read_the_same_variables_with_the_same_defaults_as_the_services(monkeypatch):
    """KafkaSecurity's fields are the services' `kafka_*` settings: a new one added to one
    side only would leave the tools or the services without it."""
    service_fields = {
        name.removeprefix("kafka_"): field
        for name, field in ServiceSettings.model_fields.items()
        if name.startswith("kafka_") and name != "kafka_bootstrap_servers"
    }
    assert set(service_fields) == set(KafkaSecurity.model_fields)
    for name, field in KafkaSecurity.model_fields.items():
        assert field.annotation == service_fields[name].annotation, name
        assert repr(field.default) == repr(service_fields[name].default), name
    monkeypatch.setenv("KAFKA_SECURITY_PROTOCOL", "SASL_SSL")
    monkeypatch.setenv("KAFKA_USERNAME", "operator")
    monkeypatch.setenv("KAFKA_PASSWORD", "operator-password")
    assert client_options("kafka:9093")["sasl_plain_username"] == "operator"
