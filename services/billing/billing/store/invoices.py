"""Issued invoices and their number series. The seller and buyer blocks and the VAT summary
are kept as JSON, exactly as issued: an issued invoice never changes."""

from __future__ import annotations

import json
from dataclasses import asdict
from datetime import datetime
from decimal import Decimal
from typing import Any

from sqlalchemy import insert, select
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.ext.asyncio import AsyncConnection
from sqlalchemy.sql.dml import ReturningInsert

from billing.domain.invoices import Invoice, InvoiceKind
from billing.domain.lines import InvoiceLine
from billing.domain.parties import Buyer, Seller
from billing.domain.vat import VatCategory, VatSubtotal
from billing.store.lines import LineRepository
from billing.store.tables import invoice_counters, invoices
from contracts.parties import PostalAddress
from contracts.values import Contact, Money
from servicekit.http.pagination import PageRequest, keyset


class InvoiceRepository:
    def __init__(self, conn: AsyncConnection) -> None:
        self._conn = conn
        self._lines = LineRepository(conn)  # an invoice's lines are the ones it took

    async def next_sequence(self, series: str) -> int:
        """The next number of a series, with no gap: one upsert that creates the series at 1 or
        bumps it, and locks the counter row until the issuing transaction ends, so two issuers
        never take the same number (the second waits), and a transaction that rolls back gives
        its number back with it. The unique constraint on `invoices.number` stands behind it."""
        return int((await self._conn.execute(_bump(self._conn.dialect.name, series))).scalar_one())

    async def add(self, invoice: Invoice) -> None:
        admin = invoice.administrator
        await self._conn.execute(
            insert(invoices).values(
                invoice_id=invoice.invoice_id,
                number=invoice.number,
                kind=invoice.kind.value,
                account_id=invoice.account_id,
                po_number=invoice.po_number,
                admin_person_id=admin.person_id,
                admin_email=admin.email,
                admin_name=admin.name,
                admin_locale=admin.locale,
                issued_at=invoice.issued_at,
                total_minor=invoice.total.amount_minor,
                currency=invoice.total.currency,
                seller_id=invoice.seller.seller_id if invoice.seller else None,
                seller=seller_json(invoice.seller) if invoice.seller else None,
                buyer=buyer_json(invoice.buyer),
                vat_summary=json.dumps([_subtotal_json(subtotal) for subtotal in invoice.vat_summary]),
                net_minor=invoice.net_total.amount_minor,
                vat_minor=invoice.vat_total.amount_minor,
                due_on=invoice.due_on,
                payment_reference=invoice.payment_reference,
                language=invoice.language,
                corrects=invoice.corrects,
                reason=invoice.reason,
            )
        )
        await self._lines.mark_invoiced(list(invoice.lines), invoice.invoice_id)

    async def get(self, invoice_id: str) -> Invoice | None:
        row = (await self._conn.execute(select(invoices).where(invoices.c.invoice_id == invoice_id))).first()
        if row is None:
            return None
        return _invoice_of(row, tuple(await self._lines.lines_on_invoice(invoice_id)))

    async def of_account(self, account_id: str) -> list[Invoice]:
        """Newest first; without their lines."""
        rows = await self._conn.execute(
            select(invoices)
            .where(invoices.c.account_id == account_id)
            .order_by(invoices.c.issued_at.desc(), invoices.c.number.desc())
        )
        return [_invoice_of(row, ()) for row in rows]

    async def page_of_account(self, account_id: str, page: PageRequest) -> list[Invoice]:
        """One page of `of_account`, newest first (the number is unique, so it ends the key)."""
        query = keyset(
            select(invoices).where(invoices.c.account_id == account_id),
            (invoices.c.issued_at, invoices.c.number),
            page,
            descending=True,
        )
        return [_invoice_of(row, ()) for row in await self._conn.execute(query)]

    async def issued_between(self, start: datetime, end: datetime, page: PageRequest) -> list[Invoice]:
        """Issued in [start, end), oldest first, one page at a time (the accounting export);
        without their lines."""
        query = keyset(
            select(invoices).where(invoices.c.issued_at >= start, invoices.c.issued_at < end),
            (invoices.c.issued_at, invoices.c.number),
            page,
        )
        return [_invoice_of(row, ()) for row in await self._conn.execute(query)]


def _bump(dialect: str, series: str) -> ReturningInsert[tuple[int]]:
    """INSERT … ON CONFLICT DO UPDATE … RETURNING: both databases speak it, each in its dialect."""
    values = dict(series=series, last_sequence=1)
    bumped = {"last_sequence": invoice_counters.c.last_sequence + 1}
    keys = [invoice_counters.c.series]
    if dialect == "postgresql":
        upsert = postgresql.insert(invoice_counters).values(values)
        return upsert.on_conflict_do_update(index_elements=keys, set_=bumped).returning(
            invoice_counters.c.last_sequence
        )
    lite = sqlite.insert(invoice_counters).values(values)
    return lite.on_conflict_do_update(index_elements=keys, set_=bumped).returning(invoice_counters.c.last_sequence)


def seller_json(seller: Seller) -> str:
    data = asdict(seller)
    data["address"] = seller.address.model_dump()
    data["sells_to"] = sorted(seller.sells_to)
    return json.dumps(data, sort_keys=True)


def seller_of_json(text: str) -> Seller:
    data = json.loads(text)
    return Seller(
        **{
            **data,
            "address": PostalAddress.model_validate(data["address"]),
            "sells_to": frozenset(data["sells_to"]),
        }
    )


def buyer_json(buyer: Buyer) -> str:
    data = asdict(buyer)
    data["address"] = buyer.address.model_dump() if buyer.address else None
    return json.dumps(data, sort_keys=True)


def buyer_of_json(text: str) -> Buyer:
    data = json.loads(text)
    address = PostalAddress.model_validate(data["address"]) if data["address"] else None
    return Buyer(**{**data, "address": address})


def _subtotal_json(subtotal: VatSubtotal) -> dict[str, Any]:
    return dict(
        category=subtotal.category.value,
        rate=str(subtotal.rate),
        taxable_minor=subtotal.taxable_minor,
        tax_minor=subtotal.tax_minor,
    )


def _subtotal_of(data: dict[str, Any]) -> VatSubtotal:
    return VatSubtotal(VatCategory(data["category"]), Decimal(data["rate"]), data["taxable_minor"], data["tax_minor"])


def _invoice_of(row: Any, lines: tuple[InvoiceLine, ...]) -> Invoice:
    administrator = Contact(
        person_id=row.admin_person_id, email=row.admin_email, name=row.admin_name, locale=row.admin_locale
    )
    currency = row.currency
    legacy = row.buyer is None  # issued before issue 15: no seller, no VAT, due on issue

    def money(amount: int) -> Money:
        return Money(amount_minor=amount, currency=currency)

    return Invoice(
        invoice_id=row.invoice_id,
        number=row.number,
        kind=InvoiceKind(row.kind),
        account_id=row.account_id,
        po_number=row.po_number,
        administrator=administrator,
        issued_at=row.issued_at,
        lines=lines,
        seller=seller_of_json(row.seller) if row.seller else None,
        buyer=Buyer.of(None, administrator.name, administrator.email) if legacy else buyer_of_json(row.buyer),
        vat_summary=() if legacy else tuple(_subtotal_of(data) for data in json.loads(row.vat_summary)),
        net_total=money(row.total_minor if legacy else row.net_minor),
        vat_total=money(0 if legacy else row.vat_minor),
        total=money(row.total_minor),
        due_on=row.issued_at.date() if legacy else row.due_on,
        payment_reference=row.payment_reference or "",
        language=row.language or administrator.locale,
        corrects=row.corrects,
        reason=row.reason,
    )
