"""R2 (acting for one account), R3 (pending verification), R4 (adding contacts), R5 (never deleted)."""

from dataclasses import replace
from datetime import timedelta

import pytest

from contracts.errors import Refusal, RuleViolation
from contracts.testing import T0
from identity.domain import accounts
from identity.domain.accounts import AccountStatus, NewContact, Role

NOW = T0  # as in conftest.py

BOB = NewContact("bob@example.com", "Bob", "Builder", "de")


def test_R3_a_new_account_is_pending_verification_with_60_days_for_documents(account):
    acme, _ = account()
    assert acme.status is AccountStatus.PENDING_VERIFICATION
    assert acme.verification_deadline == NOW + timedelta(days=60)


def test_R3_accepted_documents_verify_the_account_once(account):
    acme, _ = account()
    assert acme.accept_documents(NOW + timedelta(days=3)).account_id == acme.id
    assert acme.status is AccountStatus.VERIFIED
    with pytest.raises(RuleViolation) as refused:
        acme.accept_documents(NOW + timedelta(days=4))
    assert refused.value.rule == "R3"


def test_R3_after_60_days_a_pending_account_lapses_but_a_verified_one_does_not(account, person):
    acme, _ = account()
    lapsed = acme.lapse_verification(person().contact(), acme.verification_deadline)
    assert (lapsed.lapsed_at, lapsed.administrator.email) == (NOW + timedelta(days=60), "ada@example.com")
    assert acme.status is AccountStatus.VERIFICATION_LAPSED
    verified, _ = account("a-2")
    verified.accept_documents(NOW)
    assert verified.lapse_verification(person().contact(), verified.verification_deadline) is None


def test_R3_documents_accepted_after_the_lapse_still_verify(account, person):
    acme, _ = account()
    acme.lapse_verification(person().contact(), acme.verification_deadline)
    acme.accept_documents(NOW + timedelta(days=70))
    assert acme.status is AccountStatus.VERIFIED


def test_R4_a_registered_email_is_linked_at_once(account, person):
    acme, ada = account()
    bob = person("p-bob", "bob@example.com", "Bob Builder")
    contact, added = accounts.add_contact(acme, ada, [ada], BOB, bob, "c-bob", "http://id/register", NOW)
    assert (contact.person_id, contact.linked, added.linked, added.register_url) == ("p-bob", True, True, None)
    assert added.contact.person_id == "p-bob" and added.added_by.email == "ada@example.com"


def test_R4_an_unknown_email_is_created_and_invited_to_register(account):
    acme, ada = account()
    contact, added = accounts.add_contact(acme, ada, [ada], BOB, None, "c-bob", "http://id/register", NOW)
    assert (contact.linked, added.linked, added.register_url) == (False, False, "http://id/register")
    assert (added.contact.name, added.contact.locale, added.company_name) == ("Bob Builder", "de", "Acme")


@pytest.mark.parametrize("missing", [{"first_name": ""}, {"last_name": "  "}])
def test_R4_first_and_last_name_are_mandatory(account, missing):
    acme, ada = account()
    with pytest.raises(RuleViolation) as refused:
        accounts.add_contact(acme, ada, [ada], replace(BOB, **missing), None, "c-bob", "u", NOW)
    assert (refused.value.rule, refused.value.refusal) == ("R4", Refusal.INVALID)


def test_R4_only_an_administrator_adds_contacts_and_only_once(account):
    acme, ada = account()
    bob, _ = accounts.add_contact(acme, ada, [ada], BOB, None, "c-bob", "u", NOW)
    with pytest.raises(RuleViolation) as refused:
        accounts.add_contact(acme, ada, [ada, bob], BOB, None, "c-bob2", "u", NOW)
    assert (refused.value.code, refused.value.rule) == ("contact_exists", "R4")
    with pytest.raises(RuleViolation) as refused:
        accounts.add_contact(
            acme,
            replace(bob, person_id="p-bob"),
            [ada, bob],
            NewContact("cy@example.com", "Cy", "D"),
            None,
            "c-cy",
            "u",
            NOW,
        )
    assert refused.value.refusal is Refusal.FORBIDDEN
    assert bob.role is Role.MEMBER


def test_R4_an_invited_contact_becomes_a_member_when_they_register(account, person):
    acme, ada = account()
    bob, _ = accounts.add_contact(acme, ada, [ada], BOB, None, "c-bob", "u", NOW)
    with pytest.raises(RuleViolation):
        accounts.ensure_member([bob], acme.id)
    bob.link(person("p-bob", "bob@example.com"))
    assert accounts.ensure_member([bob], acme.id) is bob


def test_R2_a_person_acts_only_for_accounts_they_belong_to(account):
    _, ada = account()
    assert accounts.ensure_member([ada], "a-1") is ada
    with pytest.raises(RuleViolation) as refused:
        accounts.ensure_member([ada], "a-2")
    assert (refused.value.rule, refused.value.refusal) == ("R2", Refusal.FORBIDDEN)


def test_R2_another_account_than_the_one_acted_for_is_not_found():
    accounts.ensure_acting_for("a-1", "a-1")
    with pytest.raises(RuleViolation) as refused:
        accounts.ensure_acting_for("a-1", "a-2")
    assert refused.value.refusal is Refusal.NOT_FOUND


def test_R5_a_contact_is_never_deleted():
    refusal = accounts.refuse_contact_deletion()
    assert (refusal.rule, refusal.refusal) == ("R5", Refusal.CONFLICT)
    assert "unassign them from their licences instead" in refusal.message
