"""HTTP routes of the seats service, one module per resource, each with a module-level
`router` and the schemas of its requests and answers; `schemas` holds what several share and
`deps` what routes need from the app (`app.build` wires them)."""
