"""An account's billing details (issue 15): `domain.billing_details.AccountBilling` as one
flat row of `billing_details`. The account's row is their lock (`AccountRepository.get(...,
lock=True)`), as it is for its contacts."""

from __future__ import annotations

from typing import Any

from sqlalchemy import insert, update

from contracts.parties import AccountBillingDetails, PostalAddress
from identity.domain.billing_details import AccountBilling
from identity.store.rows import Rows
from identity.store.tables import billing_details


def _billing(row: Any) -> AccountBilling:
    details = AccountBillingDetails(
        legal_name=row.legal_name,
        address=PostalAddress(
            line1=row.address_line1,
            line2=row.address_line2,
            postcode=row.postcode,
            city=row.city,
            country=row.country,
        ),
        vat_number=row.vat_number,
        invoicing_email=row.invoicing_email,
    )
    return AccountBilling(row.account_id, details, row.changed_at, row.changed_by)


def _row(billing: AccountBilling) -> dict[str, Any]:
    d = billing.details
    return {
        "account_id": billing.account_id,
        "legal_name": d.legal_name,
        "address_line1": d.address.line1,
        "address_line2": d.address.line2,
        "postcode": d.address.postcode,
        "city": d.address.city,
        "country": d.address.country,
        "vat_number": d.vat_number,
        "invoicing_email": d.invoicing_email,
        "changed_at": billing.changed_at,
        "changed_by": billing.changed_by,
    }


class BillingDetailsRepository(Rows):
    async def get(self, account_id: str) -> AccountBilling | None:
        row = await self._one(billing_details, billing_details.c.account_id == account_id)
        return _billing(row) if row else None

    async def save(self, billing: AccountBilling) -> None:
        values = _row(billing)
        table = billing_details
        done = await self._conn.execute(update(table).where(table.c.account_id == billing.account_id).values(**values))
        if done.rowcount == 0:
            await self._conn.execute(insert(table).values(**values))
