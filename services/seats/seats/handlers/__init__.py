"""Seat handlers, one module per flow: load through the unit of work's repositories, apply
the pure rules of `seats.domain`, save, publish and schedule in the same transaction."""
