"""Identity commands, one module per area: registration, sessions, accounts."""
