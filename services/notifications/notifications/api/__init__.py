"""HTTP routes of the notifications service, one module per resource."""
