"""`entitle preview` (devkit.preview): every e-mail, in every language, from the command line (R34)."""

from __future__ import annotations

from importlib.resources import files

import pytest

from devkit.preview import main
from notifications.domain.emails import LOCALES

ENGLISH = files("notifications.adapters").joinpath("templates/en")
TEMPLATES = sorted(p.name.removesuffix(".j2") for p in ENGLISH.iterdir())


def test_R34_without_a_template_the_preview_lists_them_all(capsys):
    assert main([]) == 0
    assert capsys.readouterr().out.split() == TEMPLATES


@pytest.mark.parametrize("locale", LOCALES)
def test_R34_every_template_previews_in_every_language_as_text_and_html(locale, capsys):
    for template in TEMPLATES:
        assert main([template, "--locale", locale]) == 0
        text = capsys.readouterr().out
        assert main([template, "--locale", locale, "--html"]) == 0
        html = capsys.readouterr().out
        assert text.startswith("Subject: ") and "<html>" not in text and "<html>" in html


def test_R34_an_unknown_template_is_refused_with_the_list(capsys):
    assert main(["nope"]) == 2
    assert "agreement" in capsys.readouterr().err
