"""Billing's flows: load through the unit of work's repositories, call the pure domain, then
save, publish and schedule. `subscriptions`: the events billing reads; `invoices`: issuing, at
once and in the monthly run; `consistency`: whether an event agrees with billing's view."""
