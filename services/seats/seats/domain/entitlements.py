"""Signed entitlements (issue 14) and the free tier after a trial or a seat ends (R43). Pure:
the claims of an entitlement from the grant that allows access, how long it may be used
offline, and which fallback a person keeps.

An entitlement says the same as the access answer (structured: tier, modules, add-ons,
limits), signed, so a product can trust it offline until its not-after:
- floating: the lease's end (a borrowed lease: the borrow end); each heartbeat gets a new one;
- named: the offline allowance (7 days by default) within the term;
- node-locked: the term end plus the 10 days to renew (R48): a licence file on a machine that
  never comes back online keeps working that long, and no longer;
- free (R43): the offline allowance.
"""

from __future__ import annotations

import textwrap
from dataclasses import dataclass, replace
from datetime import datetime, timedelta
from typing import Any

from contracts.values import LicenceType
from seats.domain.access import AccessAnswer, Grant

ISSUER = "entitle-seats"
FREE = "free"  # the licence type of the free tier a person falls back to (R43)
NODE_LOCKED_GRACE = timedelta(days=10)  # R48: the days to renew or extend after the term end
LICENCE_FILE_BEGIN = "-----BEGIN ENTITLE LICENCE FILE-----"
LICENCE_FILE_END = "-----END ENTITLE LICENCE FILE-----"
FALLBACK_STANDARD, FALLBACK_TRIAL = "standard", "trial"
_FALLBACK_RANK = {FALLBACK_TRIAL: 1, FALLBACK_STANDARD: 2}


def not_after(grant: Grant | None, now: datetime, offline_allowance: timedelta) -> datetime:
    """Until when the entitlement of this grant may be used without asking again (None: free)."""
    allowance_end = now + offline_allowance
    if grant is None:
        return allowance_end
    if grant.licence_type == LicenceType.FLOATING.value and grant.lease_ends_at is not None:
        return grant.lease_ends_at
    if grant.licence_type == LicenceType.NODE_LOCKED.value and grant.term_end is not None:
        return grant.term_end + NODE_LOCKED_GRACE
    return min(allowance_end, grant.term_end) if grant.term_end is not None else allowance_end


def claims(
    answer: AccessAnswer, product: str, now: datetime, until: datetime, jti: str, *, who: str = "", email: str = ""
) -> dict[str, Any]:
    """The claims of the entitlement of an allowed answer (spec: Seats access); `jti`: its own
    random id. `who`, `email`:
    whom the question was about, when the grant names no holder (a free tier)."""
    grant = answer.grant
    issued = int(now.timestamp())
    found: dict[str, Any] = {
        "iss": ISSUER,
        "sub": (grant.person_id if grant else None) or who or "",
        "email": (grant.email if grant else None) or email or "",
        "acct": grant.account_id if grant else "",
        "product": product,
        "tier": answer.tier,
        "licence_type": answer.licence_type,
        "subscription_id": answer.subscription_id,
        "modules": answer.modules,
        "add_ons": answer.add_ons,
        "limits": answer.limits,
    }
    if grant is not None and grant.lease_id:
        found["lease_id"] = grant.lease_id
    if grant is not None and grant.key_id:
        found["device"] = grant.device_id
        found["key_id"] = grant.key_id
    found.update(iat=issued, nbf=issued, exp=int(until.timestamp()), jti=jti)
    return found


def licence_file(jws: str) -> str:
    """The text of a node-locked licence file: the entitlement, folded at 64 characters."""
    return "\n".join([LICENCE_FILE_BEGIN, *textwrap.wrap(jws, 64), LICENCE_FILE_END]) + "\n"


def entitlement_of_file(text: str) -> str:
    """The compact JWS a licence file holds (what a product reads back)."""
    lines = [line.strip() for line in text.strip().splitlines()]
    if len(lines) < 3 or lines[0] != LICENCE_FILE_BEGIN or lines[-1] != LICENCE_FILE_END:
        raise ValueError("not an Entitle licence file")
    return "".join(lines[1:-1])


@dataclass(frozen=True)
class Fallback:
    """R43 (R10): what a person keeps of a product after a trial fell back or a seat was revoked:
    the free `standard` tier, or the right to start a `trial` when they never had one."""

    email: str
    product: str
    fallback: str  # FALLBACK_STANDARD or FALLBACK_TRIAL
    tier: str  # the free tier (standard)
    subscription_id: str  # the subscription they fell back from
    recorded_at: datetime
    person_id: str | None = None
    # Filled when read for the access query: who may learn about it (as for a Grant).
    account_id: str = ""
    administrator_id: str = ""
    about_the_asker: bool = False

    def keeps(self, earlier: Fallback | None) -> Fallback:
        """What to keep when they already had one: `standard`, once kept, is never taken back by
        a later `trial` (they had their trial)."""
        if earlier is None:
            return self
        kept = self if _FALLBACK_RANK[self.fallback] >= _FALLBACK_RANK.get(earlier.fallback, 0) else earlier
        return replace(kept, person_id=self.person_id or earlier.person_id)


def fallback_answer(fallbacks: list[Fallback], product: str) -> AccessAnswer | None:
    """R43: with no seat in force, the best fallback they keep answers; None without one."""
    if not fallbacks:
        return None
    best = max(fallbacks, key=lambda f: _FALLBACK_RANK.get(f.fallback, 0))
    if best.fallback == FALLBACK_STANDARD:
        return AccessAnswer(
            True,
            f"The free {best.tier} tier of {product}: their trial ended or their seat was revoked (R43).",
            best.tier,
            FREE,
            None,
            fallback=FALLBACK_STANDARD,
            grant=Grant("", best.tier, FREE, "free tier", person_id=best.person_id, email=best.email),
        )
    return AccessAnswer(
        False,
        f"No seat of {product} is in force for them; they have never had a trial of it and may start "
        "the free trial (R43).",
        fallback=FALLBACK_TRIAL,
    )


def fallback_visible_to(fallbacks: list[Fallback], person_id: str, account_id: str) -> list[Fallback]:
    """As `access.visible_to`: the person themselves, or the administrator of the subscription
    they fell back from."""
    return [
        f for f in fallbacks if f.about_the_asker or (f.administrator_id == person_id and f.account_id == account_id)
    ]
