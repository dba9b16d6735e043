"""What every Entitle service shares: database, outbox, inbox, relay, consumer, clock, scheduler."""
