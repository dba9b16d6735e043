import pytest

from contracts.errors import RuleViolation
from identity.domain import check_password_strength, normalise_email


@pytest.mark.parametrize("weak", ["short1A!", "alllowercaseletters", "ALLUPPER12345"])
def test_R1_weak_passwords_are_refused(weak):
    with pytest.raises(RuleViolation) as refused:
        check_password_strength(weak)
    assert refused.value.rule == "R1"


def test_R1_a_strong_password_is_accepted_and_emails_are_normalised():
    check_password_strength("Correct-Horse-9")
    assert normalise_email("  Ada@Example.COM ") == "ada@example.com"
