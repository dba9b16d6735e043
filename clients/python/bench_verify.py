"""Offline verifications per second on one core (issue 14: at least 10,000/s).

    python clients/python/bench_verify.py [--seconds 2] [--distinct 2000]

Three measures, one JSON line:
- `fresh`: `--distinct` different entitlements, each verified once by a verifier that has not
  seen it: an Ed25519 check and a claims parse each (what an entitlement seen for the first
  time costs, e.g. a product's backend checking those its clients hand it);
- `same_again`: one entitlement verified again and again, as a product checks the saved one
  at every feature use: the library keeps the entitlement of a token whose signature it
  checked (by its exact text), so only the times, product, device and clock are checked;
- `ed25519`: `cryptography`'s Ed25519 verify of one signature alone, the floor of `fresh`.
CPU time of this process is measured, so other load on the machine matters less.
"""

from __future__ import annotations

import argparse
import json
import tempfile
import time
from collections.abc import Callable
from datetime import UTC, datetime, timedelta

from entitle_client import ClockGuard, Verifier
from entitle_client.cache import Cache
from entitle_client.testing import TestIssuer
from entitle_client.verify import b64url_decode

TARGET = 10_000


def figures(per_second: float) -> dict[str, object]:
    each = round(1e6 / per_second, 1)
    return {"per_second": round(per_second), "microseconds_each": each, "ok": per_second >= TARGET}


def repeated(work: Callable[[], object], seconds: float) -> float:
    count, started = 0, time.process_time()
    while time.process_time() < started + seconds:
        for _ in range(100):
            work()
        count += 100
    return count / (time.process_time() - started)


def fresh(issuer: TestIssuer, tokens: list[str], directory: str, seconds: float) -> float:
    """Rounds over `tokens`, each round with a new verifier, so that each verification is the
    first of its token (the key and the header, the same for all, are parsed once a round)."""
    count, spent, deadline = 0, 0.0, time.process_time() + seconds
    while time.process_time() < deadline:
        verifier = Verifier(issuer.jwks, guard=ClockGuard(Cache(directory)))
        verifier.verify(tokens[0], product="designer")
        started = time.process_time()
        for token in tokens[1:]:
            verifier.verify(token, product="designer")
        spent += time.process_time() - started
        count += len(tokens) - 1
    return count / spent


def measure(seconds: float, distinct: int) -> dict[str, object]:
    issuer = TestIssuer(kid="bench")
    now = datetime.now(UTC)
    tokens = [
        issuer.issue(now=now, lifetime=timedelta(days=7), modules=["core", "render"], limits={"projects": 5})
        for _ in range(max(2, distinct))
    ]
    head, body, signature = tokens[0].split(".")
    key, raw, message = issuer.key.public_key(), b64url_decode(signature), f"{head}.{body}".encode()
    with tempfile.TemporaryDirectory() as directory:
        verifier = Verifier(issuer.jwks, guard=ClockGuard(Cache(directory)))
        return {
            "target_per_second": TARGET,
            "fresh": figures(fresh(issuer, tokens, directory, seconds)),
            "same_again": figures(repeated(lambda: verifier.verify(tokens[0], product="designer"), seconds)),
            "ed25519": figures(repeated(lambda: key.verify(raw, message), seconds)),
        }


def main() -> None:
    parser = argparse.ArgumentParser(description=(__doc__ or "").splitlines()[0])
    parser.add_argument("--seconds", type=float, default=2.0, help="CPU seconds per measure")
    parser.add_argument("--distinct", type=int, default=2000, help="different entitlements, each verified once")
    arguments = parser.parse_args()
    print(json.dumps({"bench": "client_offline_verify", **measure(arguments.seconds, arguments.distinct)}))


if __name__ == "__main__":
    main()
