"""Identity's outside world: password hashing (argon2) and the access-log filter."""
