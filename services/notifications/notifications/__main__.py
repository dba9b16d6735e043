"""`python -m notifications` runs the service; `python -m notifications migrate` upgrades its database and exits."""

from notifications.app import build
from servicekit.main import serve_or_migrate

serve_or_migrate(build())
