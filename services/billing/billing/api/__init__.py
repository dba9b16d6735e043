"""Billing's HTTP queries, one module per resource: `lines` (a subscription's prorated lines)
and `invoices` (the account's invoices, as JSON or HTML)."""
