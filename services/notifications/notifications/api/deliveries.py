"""The delivery log over HTTP (R2, R6, R17), and the operators' retry-now after an SMTP outage."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, Any, Literal

from fastapi import APIRouter, Depends, Query, Request
from pydantic import BaseModel, Field

from contracts.errors import ErrorBody
from notifications.domain.access import Reader
from notifications.domain.emails import OutgoingEmail
from notifications.handlers.sending import make_due_now
from servicekit.http.deps import REQUIRES_OPERATOR, CurrentCaller
from servicekit.http.pagination import MAX_PAGE_SIZE, PageRequest, page_request, paged
from servicekit.runtime import Runtime


class DeliveryView(BaseModel):
    """One e-mail to one recipient because of one event. No address, no text."""

    email_id: str = Field(description="Unique id of the e-mail; also its Message-ID, `<email_id@entitle>`.")
    template: str = Field(description="Which e-mail, e.g. `agreement`.")
    locale: str = Field(description="The language it is written in: en, fr, nl or de.")
    subject: str
    recipient_id: str = Field(description="Person id of the recipient.")
    caused_by: str = Field(description="Id of the event that caused it.")
    subscription_id: str = Field(description="What it is about: a subscription, an account or a person.")
    status: str = Field(
        description="`pending`, `sent` or `rejected`; `held`: an invoice e-mail waiting for its PDF (at most "
        "`NOTIFICATIONS_INVOICE_PDF_HOLD_SECONDS`)."
    )
    attempts: int = Field(description="Attempts to hand it to the SMTP server so far.")
    last_error: str | None = Field(
        description="The last failure, or why it was rejected: the server's "
        "answer, or what made it impossible to compose (e.g. not one address)."
    )
    next_attempt_at: datetime | None = Field(description="When a pending e-mail is tried again (real time).")
    sent_at: datetime | None = Field(description="When the SMTP server accepted it.")
    rejected_at: datetime | None = Field(description="When it was rejected for good; never retried after.")

    @classmethod
    def of(cls, email: OutgoingEmail) -> DeliveryView:
        return cls(**{name: getattr(email, name) for name in cls.model_fields})


class RetryNowAnswer(BaseModel):
    due_now: int = Field(description="Pending e-mails made due at once.")


def _errors(*statuses: int) -> dict[int | str, dict[str, Any]]:
    described = {
        401: "No valid access token (`{code, message, rule}`).",
        403: "Not an operator: `X-Operator-Token` is missing or wrong.",
        422: "A query parameter is invalid, e.g. `limit` above the maximum or a cursor this list did not give.",
    }
    return {status: {"model": ErrorBody, "description": described[status]} for status in statuses}


router = APIRouter(tags=["notifications"])


@router.get(
    "/deliveries",
    response_model=list[DeliveryView],
    responses=_errors(401, 422),
    response_description="One page of the e-mails the caller may read, oldest first.",
    summary="The delivery log: your e-mails, or those of an event or a person you administer",
    description=(
        "Who may call it: anyone signed in. It answers the e-mails sent to the caller and, for "
        "the account the caller's token acts for, the e-mails about a subscription or the "
        "account the caller administers now (R2, R6, R17). Nothing else appears: asking for an "
        "event or a person whose e-mails you may not read answers an empty list, exactly as "
        "for one that does not exist. Without `caused_by` and `recipient`, your own e-mails; "
        "with `scope=all`, every e-mail you may read (the portal's e-mail history, R33).\n\n"
        f"Oldest first, at most `limit` per page (default 100, at most {MAX_PAGE_SIZE}); the "
        'next page is in the `Link: <...>; rel="next"` and `X-Next-Cursor` headers, absent '
        "on the last page."
    ),
)
async def deliveries(
    request: Request,
    page: Annotated[PageRequest, Depends(page_request)],
    caused_by: str | None = Query(None, max_length=64, description="Only the e-mails this event caused."),
    recipient: str | None = Query(None, max_length=64, description="Only the e-mails to this person id."),
    scope: Literal["mine", "all"] = Query(
        "mine", description="Without a filter: `mine`, the e-mails sent to you; `all`, every one you may read."
    ),
    *,
    caller: CurrentCaller,
    runtime: Runtime,
):
    if caused_by is None and recipient is None and scope == "mine":
        recipient = caller.person_id
    async with runtime.uow() as uow:
        found = await uow.emails.page_for(
            Reader(caller.person_id, caller.account_id), page, caused_by=caused_by, recipient_id=recipient
        )
    return paged(request, page, found, lambda e: (e.created_at, e.email_id), DeliveryView.of)


@router.post(
    "/ops/deliveries/retry-now",
    dependencies=[REQUIRES_OPERATOR],
    response_model=RetryNowAnswer,
    responses=_errors(403),
    response_description="How many pending e-mails were made due at once.",
    summary="Operators: after an SMTP outage, try every pending e-mail now instead of at the end of its backoff",
    description="Who may call it: operators only, with `X-Operator-Token`. Rejected e-mails stay rejected.",
)
async def retry_now(runtime: Runtime) -> RetryNowAnswer:
    async with runtime.uow() as uow:
        due = await make_due_now(uow)
        await uow.commit()
    return RetryNowAnswer(due_now=due)
