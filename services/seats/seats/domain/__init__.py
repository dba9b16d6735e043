"""The seats domain: pure rules, no I/O. Times come in as arguments; methods return events.

- `pools`: the seat pool of a subscription (locked, quantity, named assignments, R21, R25, R28)
- `users`: the users of a subscription, invitations and unassignment (R22, R24, R10)
- `imports`: bulk import drafts, row validation, duplicates and progress (R23)
- `leases`: floating seats (R26)
- `devices`: node-locked activation keys (R27)
- `access`: which grant answers "may this person use this product" (R21–R28)
- `suspensions`: the periods billing suspends for an overdue invoice (issue 15, item 6)
"""

from seats.domain.pools import Assignment, PoolStatus, SeatPool

__all__ = ["Assignment", "PoolStatus", "SeatPool"]
