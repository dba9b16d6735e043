"""Node-locked licence files (R27): activation with a fingerprint, offline use, refusal."""

from __future__ import annotations

import json
from datetime import timedelta

import pytest

from entitle_client import ApiError, ClockRollback, Expired, WrongFingerprint

HERE = "a" * 64
THERE = "b" * 64


@pytest.fixture
def signed_in(client):
    client.sign_in("alice@example.com", "right")
    return client


def test_R27_activation_binds_the_licence_file_to_the_fingerprint_and_saves_it(entitle, signed_in) -> None:
    licence = signed_in.activate(" ABCD-EFGH-JKLM-NPQR ", HERE, device_name="Workshop PC")
    body = json.loads(entitle.requests[-2 if "jwks" in entitle.paths()[-1] else -1].content)
    assert body == {"key": "ABCD-EFGH-JKLM-NPQR", "fingerprint": HERE, "device_name": "Workshop PC"}
    assert licence.product == "designer" and licence.entitlement.device == HERE
    assert licence.path is not None and licence.path.read_text() == licence.text
    assert signed_in.licence_file("designer", HERE).entitlement.jti == licence.entitlement.jti


def test_R27_a_key_active_on_another_machine_is_refused(entitle, signed_in) -> None:
    signed_in.activate("ABCD-EFGH-JKLM-NPQR", THERE)
    with pytest.raises(ApiError) as refused:
        signed_in.activate("ABCD-EFGH-JKLM-NPQR", HERE)
    assert refused.value.code == "key_in_use"


def test_R27_the_licence_file_works_with_the_network_cut_and_only_on_its_machine(entitle, signed_in) -> None:
    signed_in.activate("ABCD-EFGH-JKLM-NPQR", HERE)
    entitle.offline = True
    entitle.clock.advance(timedelta(days=300))
    access = signed_in.check_licence("designer", HERE)
    assert access.allowed and access.offline and access.licence_type == "node_locked"
    assert not signed_in.check_licence("designer", THERE).allowed
    with pytest.raises(WrongFingerprint):
        signed_in.licence_file("designer", THERE)


def test_R27_a_deactivated_licence_is_refused_at_the_next_online_check(entitle, signed_in) -> None:
    signed_in.activate("ABCD-EFGH-JKLM-NPQR", HERE)
    assert signed_in.check_licence("designer", HERE).allowed
    entitle.allowed = False  # the administrator deactivated the key
    refused = signed_in.check_licence("designer", HERE)
    assert not refused.allowed and not refused.offline
    assert entitle.requests[-1].url.params["device_id"] == HERE
    entitle.offline = True  # the file is gone: offline does not bring it back
    assert not signed_in.check_licence("designer", HERE).allowed


def test_R27_a_clock_turned_back_refuses_the_licence_file(entitle, signed_in) -> None:
    signed_in.activate("ABCD-EFGH-JKLM-NPQR", HERE)
    entitle.offline = True
    entitle.clock.advance(timedelta(days=-2))
    with pytest.raises(ClockRollback):
        signed_in.check_licence("designer", HERE)


def test_R27_moving_a_key_is_deactivation_here_then_activation_there(entitle, signed_in) -> None:
    signed_in.activate("ABCD-EFGH-JKLM-NPQR", HERE)
    signed_in.deactivate("designer", HERE)
    assert entitle.requests[-1].url.path == "/subscriptions/sub-1/keys/key-1/deactivation"
    with pytest.raises(Expired):  # the file is gone from this machine
        signed_in.licence_file("designer", HERE)
    assert signed_in.activate("ABCD-EFGH-JKLM-NPQR", THERE).entitlement.device == THERE
