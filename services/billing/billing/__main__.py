from billing.app import build
from servicekit.logs import serve

runtime = build()
serve(runtime.app, runtime.settings)
