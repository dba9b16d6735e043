"""Offline verifications per second on one core (issue 14: at least 10,000/s).

    python clients/python/bench_verify.py [--seconds 2] [--distinct 1000]

Two measures, one JSON line:
- `repeat`: the saved entitlement verified again and again, as a product checks it at every
  feature use (its signature was checked once; times, product, device and clock every time);
- `distinct`: `--distinct` different entitlements in turn, so every call checks an Ed25519
  signature and parses the claims (the cost of an entitlement seen for the first time).
CPU time of this process is measured, so other load on the machine matters less.
"""

from __future__ import annotations

import argparse
import json
import tempfile
import time
from datetime import UTC, datetime, timedelta

from entitle_client import ClockGuard, Verifier
from entitle_client.cache import Cache
from entitle_client.testing import TestIssuer

TARGET = 10_000


def rate(verifier: Verifier, tokens: list[str], seconds: float) -> float:
    for token in tokens[:100]:  # warm up
        verifier.verify(token, product="designer")
    count, started = 0, time.process_time()
    while time.process_time() < started + seconds:
        for token in tokens:
            verifier.verify(token, product="designer")
        count += len(tokens)
    return count / (time.process_time() - started)


def measure(seconds: float, distinct: int) -> dict[str, object]:
    issuer = TestIssuer(kid="bench")
    now = datetime.now(UTC)
    tokens = [
        issuer.issue(now=now, lifetime=timedelta(days=7), modules=["core", "render"], limits={"projects": 5})
        for _ in range(distinct)
    ]
    found: dict[str, object] = {}
    with tempfile.TemporaryDirectory() as directory:
        for name, sample in (("repeat", tokens[:1] * 100), ("distinct", tokens)):
            # a fresh verifier each time; `distinct` outgrows the cache of checked signatures on purpose
            verifier = Verifier(issuer.jwks, guard=ClockGuard(Cache(directory)))
            verifier._verified = _NoCache() if name == "distinct" else verifier._verified
            per_second = rate(verifier, sample, seconds)
            found[name] = {
                "per_second": round(per_second),
                "microseconds_each": round(1e6 / per_second, 1),
                "ok": per_second >= TARGET,
            }
    return {"target_per_second": TARGET, **found}


class _NoCache(dict[str, object]):
    """Forgets everything: each verification checks the signature."""

    def __setitem__(self, key: str, value: object) -> None:
        return None


def main() -> None:
    parser = argparse.ArgumentParser(description=(__doc__ or "").splitlines()[0])
    parser.add_argument("--seconds", type=float, default=2.0, help="CPU seconds per measure")
    parser.add_argument("--distinct", type=int, default=1000, help="different entitlements verified in turn")
    arguments = parser.parse_args()
    print(json.dumps({"bench": "client_offline_verify", **measure(arguments.seconds, arguments.distinct)}))


if __name__ == "__main__":
    main()
