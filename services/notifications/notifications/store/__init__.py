"""The database of the notifications service: its tables, one repository per aggregate, its unit of work."""
