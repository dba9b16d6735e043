"""`python -m seats` runs the service; `python -m seats migrate` upgrades its database and exits."""

from seats.app import build
from servicekit.main import serve_or_migrate

serve_or_migrate(build())
