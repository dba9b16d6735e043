"""Command, event and job handlers: load through the unit of work's repositories, apply the
domain rule, save, publish and schedule in one transaction (the caller's unit of work).

- `orders`: purchase, reseller decision, trials, agreement acceptance, activation expiry
- `lifecycle`: cancellation, termination, renewal in grace, term and grace ends
- `changes`: tier change, billing cycle, administrator, purchase details, add-ons, quantity
- `contacts`: the company directory kept from identity's events (R17, R38)
- `invoices`: billing's invoices not paid yet, per subscription (R20, issue 15)
- `jobs`: the due jobs of a subscription: their ids, scheduling, cancelling and firing
"""
