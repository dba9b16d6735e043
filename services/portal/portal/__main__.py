"""`python -m portal` runs the service; `python -m portal migrate` upgrades its database and exits."""

from portal.app import build
from servicekit.main import serve_or_migrate

serve_or_migrate(build())
