"""Identity's flows, one module per area: registration, sessions, accounts (and the rate
limits they count, `limits`). Each loads through the unit of work's repositories, applies the
rules of `identity.domain`, then saves, publishes and schedules."""
