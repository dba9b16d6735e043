"""R1: registration, password strength, e-mail verification links."""

from datetime import timedelta

import pytest

from contracts.errors import Refusal, RuleViolation
from contracts.testing import T0
from contracts.values import Contact
from identity.domain import links, people
from identity.domain.links import LinkState

NOW = T0  # as in conftest.py


@pytest.mark.parametrize("weak", ["short1A!", "alllowercaseletters", "ALLUPPER12345"])
def test_R1_weak_passwords_are_refused(weak):
    with pytest.raises(RuleViolation) as refused:
        people.check_password_strength(weak)
    assert refused.value.rule == "R1"


def test_R1_a_strong_password_is_accepted_and_emails_are_normalised():
    people.check_password_strength("Correct-Horse-9")
    assert people.normalise_email("  Ada@Example.COM ") == "ada@example.com"


def test_R1_registration_needs_the_terms_accepted():
    with pytest.raises(RuleViolation) as refused:
        people.register("p-1", "ada@example.com", "Ada", "en", "hash", False, NOW)
    assert (refused.value.rule, refused.value.refusal) == ("R1", Refusal.INVALID)


def test_R1_registration_records_the_terms_and_publishes_no_credentials():
    person, registered = people.register("p-1", " Ada@Example.com", "Ada Admin", "nl", "secret-hash", True, NOW)
    assert (person.email, person.terms_version, person.verified) == ("ada@example.com", people.TERMS_VERSION, False)
    assert registered.person == Contact(person_id="p-1", email="ada@example.com", name="Ada Admin", locale="nl")
    assert "secret-hash" not in registered.model_dump_json()


def test_R1_sign_in_is_refused_until_the_email_is_verified(person):
    ada = person(verified=False)
    with pytest.raises(RuleViolation) as refused:
        ada.ensure_may_sign_in()
    assert (refused.value.code, refused.value.rule, refused.value.refusal) == (
        "email_not_verified",
        "R1",
        Refusal.FORBIDDEN,
    )
    assert ada.verify_email(NOW).person_id == ada.id
    ada.ensure_may_sign_in()


def test_R1_a_verification_link_verifies_once(person):
    link, request = links.new_link("tok-123", person(verified=False).contact(), "http://id", NOW)
    assert request.verify_url == "http://id/verifications?token=tok-123"
    assert link.token_hash == links.hash_token("tok-123") != "tok-123"
    link.use(NOW + timedelta(hours=47))
    with pytest.raises(RuleViolation) as refused:
        link.use(NOW + timedelta(hours=47))
    assert (refused.value.code, refused.value.rule) == ("link_already_used", "R1")


def test_R1_a_verification_link_expires_after_48_hours(person):
    link, request = links.new_link("tok-123", person(verified=False).contact(), "http://id", NOW)
    assert request.expires_at == NOW + timedelta(hours=48)
    with pytest.raises(RuleViolation) as refused:
        link.use(NOW + timedelta(hours=48))
    assert (refused.value.code, refused.value.rule) == ("link_expired", "R1")
    assert "/verifications/resend" in refused.value.message
    assert link.state is LinkState.PENDING


def test_R1_a_replaced_link_no_longer_verifies(person):
    link, _ = links.new_link("tok-old", person(verified=False).contact(), "http://id", NOW)
    link.state = LinkState.REPLACED
    with pytest.raises(RuleViolation) as refused:
        link.use(NOW)
    assert refused.value.code == "link_replaced"
