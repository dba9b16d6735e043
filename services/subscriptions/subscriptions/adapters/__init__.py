"""The outside world of the subscriptions service: `catalogue` reads the product catalogue file
(the packaged `catalogue.toml` beside it, or the operator's)."""
