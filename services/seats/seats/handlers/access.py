"""The access query (R21–R28, R43): answered from seats' own tables in one indexed query, and
signed on request (issue 14). A seat whose subscription billing suspended for an overdue invoice
grants nothing while the suspended period covers now (issue 15, item 6): a second, indexed query
reads the suspensions of the subscriptions found, only when a seat was found."""

from __future__ import annotations

import secrets
from dataclasses import replace
from datetime import datetime, timedelta

from contracts.errors import Refusal, RuleViolation
from seats.adapters.signing import DEFAULT_OFFLINE_ALLOWANCE, EntitlementSigner
from seats.domain.access import AccessAnswer, Grant, decide, visible_to
from seats.domain.entitlements import claims, fallback_answer, fallback_visible_to, not_after
from seats.domain.suspensions import PaymentSuspension, next_start
from seats.store.uow import SeatsUnitOfWork
from servicekit.http.auth import Caller


async def check_access(
    uow: SeatsUnitOfWork,
    product: str,
    at: datetime,
    asker: Caller,
    *,
    user_id: str | None = None,
    email: str | None = None,
    device_id: str | None = None,
    signer: EntitlementSigner | None = None,
    signed: bool = False,
) -> AccessAnswer:
    """Only what `asker` may learn counts: a product client, anything about ITS product (about
    anyone; another product is answered as nobody); a person, their own seats or the seats of
    subscriptions they administer (`domain.access.visible_to`). An allowed answer says until when
    it holds offline (the signer's allowance); `signed`: with its entitlement, signed."""
    if not (user_id or email or device_id):
        raise RuleViolation(
            "who", "Say whose access: user_id (person id), email or device_id.", refusal=Refusal.INVALID
        )
    email = email.strip().lower() if email else None
    if asker.is_product and asker.product != product:
        return decide([], product)  # exactly as nobody: a product learns nothing of another one
    about_asker = (user_id == asker.person_id) if user_id else (email is not None and email == asker.email.lower())
    about_asker = about_asker and not asker.is_product
    grants = await uow.access.grants(
        product,
        at,
        user_id=user_id,
        email=email,
        device_id=device_id,
        about_asker=about_asker,
        asker_id=asker.person_id,
    )
    visible = grants if asker.is_product else visible_to(grants, asker.person_id, asker.account_id)
    suspended = await _suspensions(uow, visible, at)
    answer = decide(visible, product, suspended, at)
    if answer.suspension is not None:
        # Issue 15: the seat is theirs, unpaid; the free tier (R43) is for those who lost theirs,
        # and answering with it would hide from the product why its seat is refused.
        return answer
    if not answer.allowed and (user_id or email):
        answer = await _fallback(uow, product, asker, answer, user_id=user_id, email=email, about_asker=about_asker)
    if not answer.allowed:
        return answer
    allowance = signer.offline_allowance if signer else DEFAULT_OFFLINE_ALLOWANCE
    return sign(
        answer,
        product,
        at,
        allowance,
        signer if signed else None,
        who=user_id or "",
        email=email or "",
        suspended_from=_suspended_from(answer, suspended, at),
    )


async def _suspensions(uow: SeatsUnitOfWork, grants: list[Grant], at: datetime) -> list[PaymentSuspension]:
    """The suspensions (issue 15) of the grants' subscriptions not ended by `at`; no query when
    no seat was found."""
    if not grants:
        return []
    return await uow.payment_suspensions.not_ended({g.subscription_id for g in grants}, at)


def _suspended_from(answer: AccessAnswer, suspended: list[PaymentSuspension], at: datetime) -> datetime | None:
    return next_start(suspended, answer.subscription_id, at) if answer.subscription_id else None


def sign(
    answer: AccessAnswer,
    product: str,
    at: datetime,
    allowance: timedelta,
    signer: EntitlementSigner | None,
    *,
    who: str = "",
    email: str = "",
    suspended_from: datetime | None = None,
) -> AccessAnswer:
    """The answer with its not-after, and its entitlement when a signer is given. Never past
    `suspended_from`, where a suspension of its subscription starts (issue 15): offline use
    must not reach into a suspended period."""
    until = not_after(answer.grant, at, allowance)
    if suspended_from is not None:
        until = min(until, suspended_from)
    entitlement = None
    if signer is not None:
        entitlement = signer.sign(claims(answer, product, at, until, secrets.token_hex(16), who=who, email=email))
    return replace(answer, not_after=until, entitlement=entitlement)


async def _fallback(
    uow: SeatsUnitOfWork,
    product: str,
    asker: Caller,
    nobody: AccessAnswer,
    *,
    user_id: str | None,
    email: str | None,
    about_asker: bool,
) -> AccessAnswer:
    """R43: with no seat in force, the free tier they kept (or the trial they may start)."""
    kept = await uow.fallbacks.of(product, user_id=user_id, email=email, about_asker=about_asker)
    if not asker.is_product:
        kept = fallback_visible_to(kept, asker.person_id, asker.account_id)
    return fallback_answer(kept, product) or nobody


async def lease_entitlement(uow: SeatsUnitOfWork, lease_id: str, product: str, signer: EntitlementSigner) -> str | None:
    """Issue 14: every answer about a live lease carries its entitlement, valid until the lease
    ends (an hour after the heartbeat, R26; a borrowed one: the borrow's end). None when the
    lease no longer grants anything, e.g. its subscription suspended for an overdue invoice
    (issue 15)."""
    at = uow.now()
    grant = await uow.access.lease_grant(lease_id, at)
    if grant is None:
        return None
    suspended = await _suspensions(uow, [grant], at)
    answer = decide([grant], product, suspended, at)
    if not answer.allowed:
        return None
    until = _suspended_from(answer, suspended, at)
    return sign(answer, product, at, signer.offline_allowance, signer, suspended_from=until).entitlement
