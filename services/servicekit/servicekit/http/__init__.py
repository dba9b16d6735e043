"""The HTTP edge every service shares: errors in one format, middleware (correlation ids,
body limits), tokens and ended sessions, idempotent commands, pagination, validated text
fields, OpenAPI documentation, and the dependencies module-level routers declare."""
