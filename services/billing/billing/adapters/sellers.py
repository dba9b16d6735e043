"""The sellers file (TOML): read once at start, every seller checked (billing.domain.parties)."""

from __future__ import annotations

import tomllib
from importlib import resources
from pathlib import Path

from billing.domain.parties import Sellers


def load_sellers(path: str | None = None) -> Sellers:
    """The sellers in `path`, or the packaged demo sellers; a wrong file stops the start with
    a message naming the seller and the field."""
    text = Path(path).read_text(encoding="utf-8") if path else _demo()
    return Sellers.of(tomllib.loads(text))


def _demo() -> str:
    return resources.files(__package__).joinpath("demo_sellers.toml").read_text(encoding="utf-8")
