"""`python -m identity` runs the service; `python -m identity migrate` upgrades its database and exits."""

from identity.app import build
from servicekit.main import serve_or_migrate

serve_or_migrate(build())
