"""The servicekit tests use the shared fixtures of `devkit.pytest_plugin` (`db`,
`database_target`, `bootstrap`, `postgres`): every database test runs on SQLite and on
PostgreSQL."""
