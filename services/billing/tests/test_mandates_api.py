"""Issue 15, item 5: an account's SEPA Direct Debit mandate over billing's routes, on SQLite and
PostgreSQL: given, read (the IBAN masked), replaced and revoked by the account's administrator
only, checked by `billing.domain.mandates` (422 with its codes)."""

from __future__ import annotations

from datetime import date

import pytest

from billing.settings import BillingSettings
from contracts import testing
from servicekit.http.auth import Caller

ADA = Caller(person_id="p-ada", account_id="a-1", email="ada@example.com", name="Ada")  # administers s-1
UMA = Caller(person_id="u-uma", account_id="a-1", email="uma@example.com", name="Uma")  # of a-1, administers nothing
EVE = Caller(person_id="p-eve", account_id="a-2", email="eve@example.com", name="Eve")  # administers s-2 of a-2
IBAN = "BE68539007547034"
PATH = "/accounts/a-1/sepa-mandate"
MANDATE = {"debtor_name": "Client SA", "iban": "be68 5390 0754 7034", "signed_on": "2026-01-02"}


@pytest.fixture
def settings(operator_settings) -> BillingSettings:
    """On SQLite and PostgreSQL."""
    return operator_settings


@pytest.fixture
async def accounts(driver, events) -> None:
    """Ada administers s-1 of account a-1, Eve s-2 of account a-2 (bought, not yet started)."""
    await driver.apply(events.purchased())
    await driver.apply(events.purchased(sid="s-2", account="a-2", admin=testing.contact("Eve")))


def as_(service, caller: Caller) -> dict[str, str]:
    return {"Authorization": f"Bearer {service.driver.token(caller)}"}


async def put(service, body: dict, caller: Caller = ADA, path: str = PATH, **headers: str):
    return await service.put(path, json=body, headers={**as_(service, caller), **headers})


async def test_issue15_an_administrator_gives_a_mandate_and_reads_it_back_with_the_iban_masked(service, accounts):
    answer = await put(service, MANDATE)

    assert answer.status_code == 200, answer.text
    given = answer.json()
    assert given["iban"] == "*" * 12 + "7034"
    assert (given["debtor_name"], given["signed_on"], given["sequence"], given["revoked_at"]) == (
        "Client SA",
        "2026-01-02",
        "FRST",
        None,
    )
    assert given["mandate_reference"] == "ENT-A1-1"  # made by billing: the account's first mandate
    read = await service.get(PATH, headers=as_(service, ADA))
    assert read.status_code == 200, read.text
    assert {k: v for k, v in read.json().items() if k != "event_ids"} == {
        k: v for k, v in given.items() if k != "event_ids"
    }
    for text in (answer.text, read.text):
        assert IBAN not in text and IBAN[:8] not in text  # never the whole IBAN back to a browser


@pytest.mark.parametrize(
    ("change", "code"),
    [
        ({"iban": "BE68539007547035"}, "iban_invalid"),  # check digits
        ({"iban": "BR1800360305000010009795493C1"}, "iban_not_sepa"),
        ({"bic": "GKCCXXBB"}, "bic_invalid"),
        ({"mandate_reference": "/ENT-1"}, "mandate_reference_invalid"),
        ({"mandate_reference": "ENT_1"}, "mandate_reference_invalid"),
        ({"signed_on": "2026-01-06"}, "signed_in_future"),  # the clock is at 5 January 2026
    ],
)
async def test_issue15_a_wrong_mandate_is_refused_with_the_domains_code_and_nothing_is_kept(
    service, accounts, change, code
):
    answer = await put(service, {**MANDATE, **change})

    assert answer.status_code == 422, answer.text
    assert answer.json()["code"] == code
    assert (await service.get(PATH, headers=as_(service, ADA))).status_code == 404


async def test_issue15_another_account_is_a_404_and_a_member_who_administers_nothing_a_403(service, accounts):
    assert (await put(service, MANDATE)).status_code == 200

    for method in ("GET", "PUT", "DELETE"):
        stranger = await service.request(
            method, PATH, json=MANDATE if method == "PUT" else None, headers=as_(service, EVE)
        )
        assert (stranger.status_code, stranger.json()["code"]) == (404, "account_not_found"), method
        member = await service.request(
            method, PATH, json=MANDATE if method == "PUT" else None, headers=as_(service, UMA)
        )
        assert (member.status_code, member.json()["code"]) == (403, "not_an_administrator"), method
    # A stranger sending a wrong mandate learns nothing either: who asks is checked first.
    assert (await put(service, {**MANDATE, "iban": "nonsense"}, caller=EVE)).status_code == 404
    assert (await service.get(PATH, headers=as_(service, ADA))).json()["iban"].endswith("7034")


async def test_issue15_the_same_mandate_again_changes_nothing_and_another_replaces_it_with_a_new_reference(
    service, accounts
):
    first = (await put(service, MANDATE)).json()
    again = await put(service, {**MANDATE, "iban": IBAN})  # the same IBAN, written compactly

    assert again.status_code == 200, again.text
    assert (again.json()["mandate_reference"], again.json()["given_at"]) == (
        first["mandate_reference"],
        first["given_at"],
    )

    replaced = await put(service, {**MANDATE, "iban": "DE89370400440532013000", "debtor_name": "Client GmbH"})

    assert replaced.status_code == 200, replaced.text
    assert (replaced.json()["mandate_reference"], replaced.json()["sequence"], replaced.json()["bic"]) == (
        "ENT-A1-2",
        "FRST",
        "COBADEFFXXX",  # derived from the IBAN
    )
    async with service.driver.uow() as uow:
        assert (await uow.mandates.by_reference("ENT-A1-1")).mandate.revoked_at is not None  # type: ignore[union-attr]
        assert (await uow.mandates.active_of("a-1")).mandate.mandate_reference == "ENT-A1-2"  # type: ignore[union-attr]


async def test_issue15_a_reference_already_used_is_refused(service, accounts):
    assert (
        await put(service, {**MANDATE, "mandate_reference": "SHARED-1"}, caller=EVE, path="/accounts/a-2/sepa-mandate")
    ).status_code == 200

    taken = await put(service, {**MANDATE, "mandate_reference": "SHARED-1"})

    assert (taken.status_code, taken.json()["code"]) == (409, "mandate_reference_taken")


async def test_issue15_a_revoked_mandate_is_gone_and_the_next_one_starts_frst_under_a_new_reference(service, accounts):
    assert (await put(service, MANDATE)).status_code == 200

    revoked = await service.delete(PATH, headers=as_(service, ADA))

    assert revoked.status_code == 200, revoked.text
    assert revoked.json()["revoked_at"] is not None
    assert (await service.get(PATH, headers=as_(service, ADA))).json()["code"] == "sepa_mandate_not_found"
    assert (await service.delete(PATH, headers=as_(service, ADA))).status_code == 404
    again = (await put(service, MANDATE)).json()
    assert (again["mandate_reference"], again["sequence"], again["revoked_at"]) == ("ENT-A1-2", "FRST", None)
    assert date.fromisoformat(again["signed_on"]) == date(2026, 1, 2)
