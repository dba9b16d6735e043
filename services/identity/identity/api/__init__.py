"""HTTP routes of the identity service, one module per resource, each with a module-level
`router` (`app.build` lists them): registration, sessions, accounts, ops. What several share
is in `schemas`; what routes need from the app (links' base, token issuer, sign-in limits, an
open session) in `deps`."""
