"""Kafka: the broker and topic creation, the consumer (inbox, retries, dead letters) and the
outbox relay with its leadership across replicas."""
