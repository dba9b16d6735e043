"""An SMTP server that keeps every message it receives as a .eml file (aiosmtpd).

`python -m devkit.smtpsink --dir var/mail --port 2525`. Addresses listed in
`--reject` are refused with 550, to show how a permanently rejected address is handled.
"""

from __future__ import annotations

import argparse
import asyncio
import itertools
import signal
import time
from pathlib import Path

from aiosmtpd.controller import Controller


class KeepEveryMessage:
    def __init__(self, directory: Path, rejected: set[str]) -> None:
        self._directory, self._rejected = directory, rejected
        self._counter = itertools.count()

    async def handle_RCPT(self, server, session, envelope, address, rcpt_options):  # noqa: N802 - aiosmtpd's hook name
        if address.lower() in self._rejected:
            return "550 5.1.1 Mailbox unavailable"
        envelope.rcpt_tos.append(address)
        return "250 OK"

    async def handle_DATA(self, server, session, envelope):  # noqa: N802 - aiosmtpd's hook name
        name = f"{time.time_ns()}-{next(self._counter):06d}.eml"
        tmp = self._directory / f".{name}.tmp"
        tmp.write_bytes(envelope.original_content or envelope.content)
        tmp.rename(self._directory / name)  # readers never see half a message
        return "250 Message accepted for delivery"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--dir", default="var/mail")
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, default=2525)
    parser.add_argument("--reject", action="append", default=[], help="address to refuse with 550")
    args = parser.parse_args()
    directory = Path(args.dir)
    directory.mkdir(parents=True, exist_ok=True)
    controller = Controller(
        KeepEveryMessage(directory, {a.lower() for a in args.reject}), hostname=args.host, port=args.port
    )
    controller.start()
    print(f"smtp sink listening on {args.host}:{args.port}, keeping mail in {directory}", flush=True)
    stop = asyncio.Event()
    loop = asyncio.new_event_loop()
    for sig in (signal.SIGINT, signal.SIGTERM):
        loop.add_signal_handler(sig, stop.set)
    loop.run_until_complete(stop.wait())
    controller.stop()


if __name__ == "__main__":
    main()
