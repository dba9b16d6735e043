"""The cache directory: refresh token, public keys, entitlements, licence files, latest time seen.

Files are written whole (a temporary file, then an atomic rename) with mode 0600 in a
directory of mode 0700, since the refresh token signs the person in for 30 days. On Windows
the modes are ignored; the directory should be under the user's profile.
"""

from __future__ import annotations

import contextlib
import os
import re
import tempfile
from pathlib import Path

_SAFE_NAME = re.compile(r"[A-Za-z0-9][A-Za-z0-9._-]{0,99}")


def safe_name(name: str) -> str:
    """A product name as a file name; anything else (a slash, `..`) is refused."""
    if not _SAFE_NAME.fullmatch(name) or ".." in name:
        raise ValueError(f"not a usable name: {name[:100]!r}")
    return name


class Cache:
    def __init__(self, directory: str | os.PathLike[str]) -> None:
        self.directory = Path(directory)
        self.directory.mkdir(mode=0o700, parents=True, exist_ok=True)
        with contextlib.suppress(OSError):  # not ours to change (a shared mount): leave it
            os.chmod(self.directory, 0o700)

    def path(self, name: str) -> Path:
        return self.directory / name

    def read(self, name: str) -> str | None:
        try:
            return self.path(name).read_text(encoding="utf-8")
        except FileNotFoundError:
            return None

    def write(self, name: str, text: str) -> Path:
        target = self.path(name)
        target.parent.mkdir(mode=0o700, parents=True, exist_ok=True)
        handle, temporary = tempfile.mkstemp(dir=target.parent, prefix=".tmp-")  # created 0600
        try:
            with os.fdopen(handle, "w", encoding="utf-8") as out:
                out.write(text)
                out.flush()
                os.fsync(out.fileno())
            os.chmod(temporary, 0o600)
            os.replace(temporary, target)
        except BaseException:
            with contextlib.suppress(OSError):
                os.unlink(temporary)
            raise
        return target

    def delete(self, name: str) -> None:
        with contextlib.suppress(FileNotFoundError):
            self.path(name).unlink()
