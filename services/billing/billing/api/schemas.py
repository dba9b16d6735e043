"""What both resources answer: a line as JSON, and how a list comes a page at a time."""

from __future__ import annotations

from datetime import datetime

from pydantic import BaseModel, Field

from billing.domain.lines import InvoiceLine
from contracts.values import Money
from servicekit.http.pagination import MAX_PAGE_SIZE

PAGES = (
    f"A page at a time: at most `limit` (default 100, at most {MAX_PAGE_SIZE}) items; the next "
    'page is in the `Link: rel="next"` and `X-Next-Cursor` headers.'
)


class LineView(BaseModel):
    line_id: str
    subscription_id: str
    kind: str
    description: str
    period_start: datetime
    period_end: datetime
    quantity_delta: int
    unit_price: Money
    days_remaining: int
    days_in_term: int
    amount: Money
    invoice_id: str | None
    vat_rate: str | None = Field(None, description="Once invoiced: the VAT rate in percent, e.g. `21`.")
    vat: Money | None = Field(None, description="Once invoiced: the line's share of its invoice's VAT at that rate.")

    @classmethod
    def of(cls, line: InvoiceLine) -> LineView:
        plain = {k: getattr(line, k) for k in cls.model_fields if k not in ("kind", "vat_rate", "vat")}
        return cls(
            **plain,
            kind=line.kind.value,
            vat_rate=str(line.vat.rate) if line.vat else None,
            vat=line.vat.tax if line.vat else None,
        )
