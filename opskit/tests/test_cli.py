"""The `entitle` command: arguments it refuses clearly, and the e-mail preview (R34)."""

from typer.testing import CliRunner

from opskit.cli import app

runner = CliRunner()


def test_R34_entitle_preview_renders_any_email_in_any_language():
    answer = runner.invoke(app, ["preview", "agreement", "--locale", "fr"])
    assert answer.exit_code == 0 and answer.output.startswith("Subject: ")


def test_entitle_preview_of_an_unknown_template_fails_and_names_the_known_ones():
    answer = runner.invoke(app, ["preview", "nope"])
    assert answer.exit_code == 2


def test_entitle_clock_advance_without_a_distance_is_refused():
    answer = runner.invoke(app, ["clock", "advance"])
    assert answer.exit_code != 0 and "--days" in answer.output
