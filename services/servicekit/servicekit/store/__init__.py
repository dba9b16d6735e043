"""The service's database: engine, kit tables, the unit of work and what counts in it.

Imports nothing of messaging or HTTP: a unit of work writes the outbox, and only the relay
(messaging) reads it.
"""
