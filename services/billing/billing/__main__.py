"""`python -m billing` runs the service; `python -m billing migrate` upgrades its database and exits."""

from billing.app import build
from servicekit.main import serve_or_migrate

serve_or_migrate(build())
