"""A machine's fingerprint: what a node-locked licence file is bound to.

The recipe (stable across reboots, updates and re-installs of the product; the same value
from every product on the machine):

    fingerprint = lowercase hex SHA-256 of ("entitle-fingerprint-v1:" + source), 64 characters

where `source` is the first of:
1. the environment variable `ENTITLE_FINGERPRINT`, when set and not empty: for containers
   and virtual machines, whose machine id is copied with the image or changes with every
   start (set it to something that identifies the machine you licence, e.g. the VM's name);
2. the platform's machine id:
   - Linux: `/etc/machine-id`, else `/var/lib/dbus/machine-id`;
   - macOS: `IOPlatformUUID` (from `ioreg -rd1 -c IOPlatformExpertDevice`);
   - Windows: `MachineGuid` under `HKLM\\SOFTWARE\\Microsoft\\Cryptography`;
3. the MAC address Python finds (`uuid.getnode()`), as 12 hex digits: the last resort, as
   it changes with the network card.

The source is trimmed and lower-cased before hashing; the raw machine id never leaves the
machine, only its hash (systemd asks applications not to publish `/etc/machine-id`).
"""

from __future__ import annotations

import hashlib
import os
import re
import subprocess
import sys
import uuid
from collections.abc import Mapping
from pathlib import Path

ENV = "ENTITLE_FINGERPRINT"
PREFIX = "entitle-fingerprint-v1:"
LINUX_FILES = ("etc/machine-id", "var/lib/dbus/machine-id")
_IOREG_UUID = re.compile(r'"IOPlatformUUID"\s*=\s*"([^"]+)"')


def fingerprint(env: Mapping[str, str] | None = None, platform: str | None = None, root: Path = Path("/")) -> str:
    """This machine's fingerprint (see the module's recipe): 64 lowercase hex characters."""
    environment = os.environ if env is None else env
    source = (environment.get(ENV) or "").strip() or machine_id(platform or sys.platform, root)
    return hash_source(source)


def hash_source(source: str) -> str:
    return hashlib.sha256((PREFIX + source.strip().lower()).encode("utf-8")).hexdigest()


def machine_id(platform: str, root: Path = Path("/")) -> str:
    """The platform's machine id, or the MAC address when it has none that can be read."""
    found: str | None = None
    if platform.startswith("linux"):
        found = _linux(root)
    elif platform == "darwin":
        found = _macos()
    elif platform in ("win32", "cygwin"):
        found = _windows()
    return found or f"{uuid.getnode():012x}"


def _linux(root: Path) -> str | None:
    for name in LINUX_FILES:
        try:
            value = (root / name).read_text(encoding="ascii").strip()
        except (OSError, UnicodeDecodeError):
            continue
        if value and value != "uninitialized":
            return value
    return None


def _macos() -> str | None:
    try:
        out = subprocess.run(
            ["ioreg", "-rd1", "-c", "IOPlatformExpertDevice"], capture_output=True, text=True, timeout=10, check=False
        ).stdout
    except (OSError, subprocess.SubprocessError):
        return None
    match = _IOREG_UUID.search(out)
    return match.group(1) if match else None


def _windows() -> str | None:
    if sys.platform != "win32":  # (also tells mypy where winreg exists)
        return None
    import winreg

    try:
        flags = winreg.KEY_READ | winreg.KEY_WOW64_64KEY
        with winreg.OpenKey(winreg.HKEY_LOCAL_MACHINE, r"SOFTWARE\Microsoft\Cryptography", 0, flags) as key:
            value, _kind = winreg.QueryValueEx(key, "MachineGuid")
    except OSError:
        return None
    return str(value) if value else None
