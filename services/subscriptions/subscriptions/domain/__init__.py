"""Subscription rules, pure: no broker, database, SMTP or clock. Times come in as arguments;
functions return the events they cause.

- `subscription`: states, R6 administrator check, order and activation (R7, R8, R11, R18)
- `terms`: term lengths, fixed-term limits and price, last-month windows (R11, R14, R16)
- `lifecycle`: cancellation, renewal, grace, termination (R14, R15)
- `amendments`: tier-change preview, amendment and acceptance (R12, R13)
- `changes`: billing cycle, administrator, purchase details, add-ons (R16, R17, R18, R20)
- `orders`: reseller approval (R19) and trials (R10)
- `sale`: billing details and the acceptance of the terms of sale (R45)
- `agreements`: each purchase's and amendment's agreement, versioned, and its acceptance (R36)
- `contacts`: who in the company may become the administrator (R17, R38)
- `offer`: what the domain needs of the catalogue
"""

from subscriptions.domain.subscription import Order, Person, Status, Subscription, purchase
from subscriptions.domain.terms import term_end_after

__all__ = ["Order", "Person", "Status", "Subscription", "purchase", "term_end_after"]
