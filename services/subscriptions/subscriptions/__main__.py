from servicekit.logs import serve
from subscriptions.app import build

runtime = build()
serve(runtime.app, runtime.settings)
