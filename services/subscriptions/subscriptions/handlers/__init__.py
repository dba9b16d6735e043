"""Command, event and job handlers: load, apply the domain rule, save and publish in one
transaction (the caller's unit of work).

- `orders`: purchase, reseller decision, trials, agreement acceptance, activation expiry
- `lifecycle`: cancellation, termination, renewal in grace, term and grace ends
- `changes`: tier change, billing cycle, administrator, purchase details, add-ons, quantity
"""
