"""HTTP commands and queries of the subscriptions service, one module per resource, each with
its module-level `router`:

- `orders`: purchase, trials and their conversion, the agreement's acceptance, the list
- `agreements`: the agreement to accept, and every agreement as a versioned document (R36)
- `lifecycle`: cancellation and its withdrawal, renewal within the grace
- `changes`: tier changes (preview, amendments), billing cycle, administrator, purchase
  details, add-ons
- `ops`: the operator's termination and decision on a reseller order
- `schemas`: what several of them share; `deps`: the catalogue, the portal URL, R6
"""
