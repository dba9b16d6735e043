"""Issue 15, item 5: a SEPA Direct Debit mandate per account (IBAN, mandate reference, signature
date), checked where it enters, and the collections made under it."""

from __future__ import annotations

from datetime import date, timedelta

import pytest

from billing.domain.mandates import (
    Mandate,
    MandateRefused,
    SequenceType,
    collection_of,
    end_to_end_id_for,
    mandate_of,
)
from contracts.testing import T0
from servicekit.clock import FixedClock

CLOCK = FixedClock(T0)  # 5 January 2026


def today() -> date:
    return CLOCK.now().date()


def signed(**changes: object) -> Mandate:
    fields: dict[str, object] = {
        "account_id": "a-1",
        "debtor_name": "Client SA",
        "iban": "BE68539007547034",
        "mandate_reference": "ENT-A-0001",
        "signed_on": date(2026, 1, 2),
        "today": today(),
    }
    fields.update(changes)
    return mandate_of(**fields)  # type: ignore[arg-type]


def refused(**changes: object) -> str:
    with pytest.raises(MandateRefused) as refusal:
        signed(**changes)
    assert refusal.value.message
    return refusal.value.code


def test_issue15_a_mandate_keeps_a_compact_iban_and_derives_the_bic_when_schwifty_knows_the_bank() -> None:
    mandate = signed(iban="de89 3704 0044 0532 0130 00", debtor_name="  Acme   GmbH ")
    assert mandate.iban == "DE89370400440532013000"
    assert mandate.bic == "COBADEFFXXX"
    assert mandate.debtor_name == "Acme GmbH"
    assert mandate.sequence is SequenceType.FIRST
    assert mandate.active


def test_issue15_a_given_bic_is_checked_and_kept_and_an_unknown_bank_has_none() -> None:
    assert signed(bic="GKCCBEBB").bic == "GKCCBEBB"
    assert signed().bic is None  # schwifty's Belgian registry does not know bank 539: pain.008 says NOTPROVIDED
    assert refused(bic="GKCCXXBB") == "bic_invalid"
    assert refused(bic="GKCCBEBBXXXX9") == "bic_invalid"


@pytest.mark.parametrize(
    ("iban", "code"),
    [
        ("BE68539007547035", "iban_invalid"),  # check digits
        ("XX68539007547034", "iban_invalid"),  # no such country
        ("BE6853900754", "iban_invalid"),  # too short for Belgium
        ("BE" + "6" * 100, "iban_invalid"),  # bounded before parsing
        ("TR330006100519786457841326", "iban_not_sepa"),  # a valid IBAN outside the SEPA scheme
    ],
)
def test_issue15_an_iban_that_is_not_a_sepa_account_is_refused(iban: str, code: str) -> None:
    assert refused(iban=iban) == code


@pytest.mark.parametrize("reference", ["ENT-A-0001", "a", "X" * 35, "REF/2026/01", "Mandat (1), a.b:c?d+e'f"])
def test_issue15_mandate_references_of_the_sepa_character_set_are_accepted(reference: str) -> None:
    assert signed(mandate_reference=reference).mandate_reference == reference


@pytest.mark.parametrize(
    "reference",
    ["", "X" * 36, " ENT-1", "ENT-1 ", "/ENT-1", "ENT-1/", "ENT//1", "ENT_1", "ENT-Ü", "ENT&1", "ENT\n1"],
)
def test_issue15_mandate_references_outside_the_epc_rules_are_refused(reference: str) -> None:
    assert refused(mandate_reference=reference) == "mandate_reference_invalid"


def test_issue15_a_mandate_cannot_be_signed_in_the_future() -> None:
    assert signed(signed_on=today()).signed_on == today()
    assert refused(signed_on=today() + timedelta(days=1)) == "signed_in_future"


def test_issue15_a_debtor_name_is_required_and_fits_pain008() -> None:
    assert refused(debtor_name="   ") == "debtor_name_invalid"
    assert refused(debtor_name="N" * 71) == "debtor_name_invalid"
    assert signed(debtor_name="N" * 70).debtor_name == "N" * 70


def test_issue15_the_first_collection_is_frst_and_every_later_one_rcur() -> None:
    mandate = signed()
    first = collection_of("i-1", "BE-INV-2026-000001", 12100, "EUR", mandate, date(2026, 2, 1))
    assert first.sequence is SequenceType.FIRST
    later = collection_of("i-2", "BE-INV-2026-000002", 12100, "EUR", mandate.collected(), date(2026, 3, 1))
    assert later.sequence is SequenceType.RECURRING
    assert mandate.collected().collected().sequence is SequenceType.RECURRING


def test_issue15_a_collection_is_named_by_its_invoice_number() -> None:
    collection = collection_of("i-1", "BE-INV-2026-000001", 12100, "EUR", signed(), date(2026, 2, 1))
    assert collection.end_to_end_id == "BE-INV-2026-000001"
    assert end_to_end_id_for("BE-INV-2026-000001", attempt=2) == "BE-INV-2026-000001-2"


@pytest.mark.parametrize(
    ("amount", "currency", "due_on", "code"),
    [
        (12100, "USD", date(2026, 2, 1), "currency_not_eur"),
        (0, "EUR", date(2026, 2, 1), "amount_not_positive"),
        (-100, "EUR", date(2026, 2, 1), "amount_not_positive"),
        (100_000_000_000, "EUR", date(2026, 2, 1), "amount_too_large"),
        (12100, "EUR", date(2026, 1, 1), "due_before_signature"),
    ],
)
def test_issue15_a_collection_that_cannot_be_is_refused(amount: int, currency: str, due_on: date, code: str) -> None:
    with pytest.raises(MandateRefused) as refusal:
        collection_of("i-1", "BE-INV-2026-000001", amount, currency, signed(), due_on)
    assert refusal.value.code == code


def test_issue15_a_revoked_mandate_collects_nothing() -> None:
    revoked = signed().revoked(CLOCK.now())
    assert not revoked.active
    assert revoked.revoked(CLOCK.now() + timedelta(days=1)).revoked_at == CLOCK.now()  # the first revocation stands
    with pytest.raises(MandateRefused) as refusal:
        collection_of("i-1", "BE-INV-2026-000001", 12100, "EUR", revoked, date(2026, 2, 1))
    assert refusal.value.code == "mandate_revoked"
