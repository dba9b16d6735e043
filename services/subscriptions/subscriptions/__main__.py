"""`python -m subscriptions` runs the service; `python -m subscriptions migrate` upgrades its database and exits."""

from servicekit.main import serve_or_migrate
from subscriptions.app import build

serve_or_migrate(build())
