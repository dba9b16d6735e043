"""docs/operations.md documents every environment variable every service reads."""

from __future__ import annotations

from devkit.settingsdoc import OPERATIONS_DOC, SERVICE_SETTINGS, reference, settings_class, with_reference
from servicekit.settings import ServiceSettings


def test_the_committed_configuration_reference_matches_the_settings_classes():
    committed = OPERATIONS_DOC.read_text()
    assert with_reference(committed) == committed, "docs/operations.md is out of date: run make docs"


def test_every_setting_has_a_meaning_of_its_own_or_from_the_shared_settings():
    for service in SERVICE_SETTINGS:
        for name, field in settings_class(service).model_fields.items():
            shared = ServiceSettings.model_fields.get(name)
            assert field.description or (shared and shared.description), f"{service}: {name} has no description"


def test_a_secret_default_is_not_printed():
    assert "NOTIFICATIONS_SMTP_PASSWORD` | (empty)" in reference()
