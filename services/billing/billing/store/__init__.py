"""Billing's storage: its tables, a repository per aggregate, and the unit of work holding them."""
