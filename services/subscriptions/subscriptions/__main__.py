"""`python -m subscriptions` runs the service; `python -m subscriptions migrate` upgrades its database and exits."""
from subscriptions.app import build
from servicekit.main import serve_or_migrate

serve_or_migrate(build())
