"""Keep verification tokens out of access logs.

An adapter (to the logging the outside world reads), not a route: it is a `logging.Filter` on
uvicorn's access logger, which `app.build` installs.

A verification link carries its token in the query (`GET /verifications?token=...`). The
services run with uvicorn's access log off, but anyone turning it on (or a proxy logger in
front) must not log live tokens: this filter masks them in every `uvicorn.access` line.
"""

from __future__ import annotations

import logging
import re

_TOKEN_IN_QUERY = re.compile(r"(token=)[^&\s\"]+")


class RedactTokens(logging.Filter):
    def filter(self, record: logging.LogRecord) -> bool:
        message = record.getMessage()
        if "token=" in message:
            record.msg, record.args = _TOKEN_IN_QUERY.sub(r"\1[redacted]", message), ()
        return True


def install() -> None:
    access = logging.getLogger("uvicorn.access")
    if not any(isinstance(f, RedactTokens) for f in access.filters):
        access.addFilter(RedactTokens())
