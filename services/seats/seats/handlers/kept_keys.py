"""Node-locked keys kept for their user (R41): each assignment in a node-locked pool reserves a
key, sent in the user's licence e-mail and shown under "My software" (R40). Only that user
activates it; the other keys stay free for anyone assigned (R27). The reservation is made at
assignment (handlers.users) and dropped when the seat goes (unassignment R24, transfer R38,
end R28)."""

from __future__ import annotations

from contracts.errors import RuleViolation
from seats.store.uow import SeatsUnitOfWork
from servicekit.http.auth import Caller


async def ensure_may_activate(subscription_id: str, key_id: str, caller: Caller, uow: SeatsUnitOfWork) -> None:
    """A key kept for another user is theirs: the caller activates their own kept key or a free one."""
    keeper = await uow.kept_keys.keeper_of(subscription_id, key_id)
    if keeper is None:
        return
    if keeper not in await uow.users.user_ids_of(subscription_id, caller.person_id, caller.email):
        raise RuleViolation(
            "key_kept_for_another_user",
            f"Key {key_id.upper()} is kept for another user of this subscription; activate the key "
            "sent to you (GET /me/software shows it).",
            rule="R41",
        )


async def key_to_activate(subscription_id: str, caller: Caller, uow: SeatsUnitOfWork) -> str | None:
    """For an activation that names no key (a product that only knows the device): the caller's
    kept key first, else None (the caller names a free key)."""
    for user_id in sorted(await uow.users.user_ids_of(subscription_id, caller.person_id, caller.email)):
        if (key_id := await uow.kept_keys.kept_for(subscription_id, user_id)) is not None:
            return key_id
    return None
