"""The SEPA Direct Debit mandate an account gives (issue 15, item 5): given, replaced and
revoked by the account's administrators, one active at a time. The checks are
`billing.domain.mandates`'; who may is R6's reader of invoices (an administrator of one of
the account's subscriptions), asked before what they sent is looked at."""

from __future__ import annotations

import re
from dataclasses import dataclass, replace
from datetime import date

from billing.domain import mandates
from billing.domain.mandates import MandateRefused
from billing.store.mandates import StoredMandate
from billing.store.uow import BillingUnitOfWork
from contracts.errors import Refusal, RuleViolation, not_found
from servicekit.http.auth import Caller

REFERENCE_PREFIX = "ENT-"
ACCOUNT_CHARACTERS = 12  # of the account id in a generated reference: enough to tell accounts apart
NOT_ALPHANUMERIC = re.compile(r"[^A-Za-z0-9]")


@dataclass(frozen=True)
class MandateRequest:
    debtor_name: str
    iban: str
    signed_on: date
    bic: str | None = None
    mandate_reference: str | None = None


async def ensure_administrator(caller: Caller, account_id: str, uow: BillingUnitOfWork) -> None:
    """Another account is a 404, as one that does not exist; a person of the account who
    administers none of its subscriptions is a 403 (R6, as the account's invoices)."""
    if account_id != caller.account_id:
        raise not_found("account", account_id)
    if not await uow.subscriptions.administers_in(caller.person_id, account_id):
        raise RuleViolation(
            "not_an_administrator",
            "Only an administrator of one of the account's subscriptions gives or reads its direct-debit "
            "mandate; ask one of them.",
            rule="R6",
            refusal=Refusal.FORBIDDEN,
        )


async def mandate_of(caller: Caller, account_id: str, uow: BillingUnitOfWork) -> StoredMandate:
    await ensure_administrator(caller, account_id, uow)
    found = await uow.mandates.active_of(account_id)
    if found is None:
        raise not_found("sepa_mandate", account_id)
    return found


async def give_mandate(
    caller: Caller, account_id: str, request: MandateRequest, uow: BillingUnitOfWork
) -> StoredMandate:
    """The account's mandate is now this one. The same mandate again changes nothing (a PUT
    repeated); any other replaces the active one, which is revoked: the new one starts `FRST`."""
    await ensure_administrator(caller, account_id, uow)
    current = await uow.mandates.active_of(account_id, lock=True)
    reference = request.mandate_reference
    if reference is None:
        reference = (
            current.mandate.mandate_reference
            if current is not None
            else generated_reference(account_id, await uow.mandates.count_of(account_id) + 1)
        )
    try:
        given = mandates.mandate_of(
            account_id,
            request.debtor_name,
            request.iban,
            reference,
            request.signed_on,
            uow.now().date(),
            bic=request.bic,
        )
    except MandateRefused as refused:
        raise RuleViolation(refused.code, refused.message, refusal=Refusal.INVALID) from None
    if current is not None and _same(current, given):
        return current
    if current is not None:
        await uow.mandates.revoke(current.seq, uow.now())
        if request.mandate_reference is None:  # a new mandate: a new reference, the old one named the old mandate
            given = _with_reference(given, generated_reference(account_id, await uow.mandates.count_of(account_id) + 1))
    if (taken := await uow.mandates.by_reference(given.mandate_reference)) is not None:
        raise RuleViolation(
            "mandate_reference_taken",
            f"The mandate reference {given.mandate_reference} names "
            f"{'an earlier mandate of this account' if taken.mandate.account_id == account_id else 'another mandate'}: "
            "a new mandate needs a new reference (or leave it out: billing makes one).",
        )
    return await uow.mandates.add(given, uow.now())


async def revoke_mandate(caller: Caller, account_id: str, uow: BillingUnitOfWork) -> StoredMandate:
    """No further collection under it (those already in a file are with the bank); a mandate
    given later starts `FRST` again."""
    found = await mandate_of(caller, account_id, uow)
    await uow.mandates.revoke(found.seq, uow.now())
    return StoredMandate(found.seq, found.mandate.revoked(uow.now()), found.created_at)


def generated_reference(account_id: str, number: int) -> str:
    """`ENT-<the account id's first 12 letters and digits>-<n>`: the same for the same account
    and count, EPC-valid, and unique as long as account ids differ in their first characters
    (a clash is refused, `mandate_reference_taken`, never overwritten)."""
    short = NOT_ALPHANUMERIC.sub("", account_id)[:ACCOUNT_CHARACTERS].upper() or "X"
    return f"{REFERENCE_PREFIX}{short}-{number}"


def _same(current: StoredMandate, given: mandates.Mandate) -> bool:
    mine = current.mandate
    return (mine.debtor_name, mine.iban, mine.bic, mine.mandate_reference, mine.signed_on) == (
        given.debtor_name,
        given.iban,
        given.bic,
        given.mandate_reference,
        given.signed_on,
    )


def _with_reference(mandate: mandates.Mandate, reference: str) -> mandates.Mandate:
    return replace(mandate, mandate_reference=reference)
