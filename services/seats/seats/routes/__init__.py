"""HTTP routes of the seats service, one module per subject."""
