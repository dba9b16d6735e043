"""The fingerprint recipe: override, Linux machine ids, the MAC fallback; 64 hex characters."""

from __future__ import annotations

import hashlib
import re
import uuid

from entitle_client import fingerprint
from entitle_client.fingerprint import machine_id

HEX64 = re.compile(r"[0-9a-f]{64}")


def expected(source: str) -> str:
    return hashlib.sha256(f"entitle-fingerprint-v1:{source}".encode()).hexdigest()


def test_the_override_wins_for_containers_and_vms(tmp_path) -> None:
    (tmp_path / "etc").mkdir()
    (tmp_path / "etc" / "machine-id").write_text("0123456789abcdef0123456789abcdef\n")
    found = fingerprint({"ENTITLE_FINGERPRINT": " Build-Agent-7 "}, "linux", tmp_path)
    assert found == expected("build-agent-7") and HEX64.fullmatch(found)


def test_linux_reads_the_machine_id_then_dbus(tmp_path) -> None:
    (tmp_path / "var" / "lib" / "dbus").mkdir(parents=True)
    (tmp_path / "var" / "lib" / "dbus" / "machine-id").write_text("FEEDFACE\n")
    assert fingerprint({}, "linux", tmp_path) == expected("feedface")
    (tmp_path / "etc").mkdir()
    (tmp_path / "etc" / "machine-id").write_text("0123456789abcdef0123456789abcdef\n")
    assert fingerprint({}, "linux", tmp_path) == expected("0123456789abcdef0123456789abcdef")
    assert fingerprint({}, "linux", tmp_path) == fingerprint({"ENTITLE_FINGERPRINT": ""}, "linux", tmp_path)


def test_without_a_machine_id_the_mac_address_is_the_last_resort(tmp_path) -> None:
    assert machine_id("linux", tmp_path) == f"{uuid.getnode():012x}"
    assert machine_id("sunos5", tmp_path) == f"{uuid.getnode():012x}"


def test_this_machine_has_a_stable_fingerprint() -> None:
    assert fingerprint() == fingerprint() and HEX64.fullmatch(fingerprint())
