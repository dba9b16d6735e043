"""What several identity resources share: ids in paths, the answer every command adds, and
who may call a route (the start of its OpenAPI description)."""

from __future__ import annotations

from typing import Annotated

from fastapi import Path
from pydantic import BaseModel, Field

# Ids are uuids: anything else (a line break smuggled in as %0A, a 10 kB string) is refused 422
# before it can reach a message or a log line.
ID_PATTERN = r"^[A-Za-z0-9_.:-]+$"
Id = Annotated[str, Path(min_length=1, max_length=64, pattern=ID_PATTERN)]


class CommandAnswer(BaseModel):
    """What every command answers besides its resource."""

    event_ids: list[str] = Field(default_factory=list, description="Ids of the events the command caused.")


ANYONE = "Anyone may call it: no token."
SIGNED_IN = "Any signed-in person (a bearer token from `POST /tokens`), for the account their token acts for."
ADMINISTRATOR = (
    "An administrator of the account (bearer token acting for it); others are refused "
    "403, and an account the token does not act for answers 404."
)
OPERATOR = "Operators only: `X-Operator-Token`."
