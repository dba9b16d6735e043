"""Where the operator tools find a stack: the broker and each service's HTTP address.

From the environment, as a deployed stack is reached: `KAFKA_BOOTSTRAP_SERVERS` (default
`127.0.0.1:9092`) and `ENTITLE_<SERVICE>_URL` (default `http://127.0.0.1:<port>`, the ports
`make run` uses).
"""

from __future__ import annotations

import os
from dataclasses import dataclass, field

DEFAULT_PORTS = {"identity": 8101, "subscriptions": 8102, "seats": 8103, "notifications": 8104, "billing": 8105}
SERVICES: tuple[str, ...] = tuple(DEFAULT_PORTS)
"""Every service: each owns topics of the catalogue (a test keeps the two lists equal)."""
DEFAULT_BOOTSTRAP = "127.0.0.1:9092"


@dataclass(frozen=True)
class Endpoints:
    bootstrap: str = DEFAULT_BOOTSTRAP
    urls: dict[str, str] = field(default_factory=dict)

    def url(self, service: str) -> str:
        return self.urls[service]

    @classmethod
    def from_environment(cls) -> Endpoints:
        env = os.environ
        return cls(
            env.get("KAFKA_BOOTSTRAP_SERVERS") or DEFAULT_BOOTSTRAP,
            {
                s: (env.get(f"ENTITLE_{s.upper()}_URL") or f"http://127.0.0.1:{DEFAULT_PORTS[s]}").rstrip("/")
                for s in SERVICES
            },
        )
