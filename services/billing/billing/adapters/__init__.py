"""Billing's outside world: the HTML rendering of an invoice (its template beside it)."""
