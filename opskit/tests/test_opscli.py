"""The operator commands refuse wrong arguments clearly (exit 2) before touching any broker."""

import pytest
from aiokafka import TopicPartition
from typer.testing import CliRunner

from opskit.cli import app
from opskit.commands import PartitionPlan

runner = CliRunner()
NO_BROKER = ["--bootstrap", "127.0.0.1:1"]  # nothing answers there: a refusal must come first


@pytest.mark.parametrize(
    "where", [[], ["--to-earliest", "--to-offset", "3"], ["--to-offset", "1", "--to-time", "2026-01-01T00:00:00Z"]]
)
def test_replay_without_exactly_one_target_is_refused(where):
    answer = runner.invoke(app, ["replay", "billing", "--dry-run", *where, *NO_BROKER])
    assert answer.exit_code == 2 and "--to-earliest" in answer.output


def test_replay_to_a_time_that_is_not_iso_is_refused():
    answer = runner.invoke(app, ["replay", "billing", "--to-time", "yesterday", *NO_BROKER])
    assert answer.exit_code == 2 and "ISO" in answer.output


def test_replay_to_a_negative_offset_is_refused():
    answer = runner.invoke(app, ["replay", "billing", "--to-offset", "-1", *NO_BROKER])
    assert answer.exit_code == 2


def test_replay_without_a_group_is_refused():
    assert runner.invoke(app, ["replay"]).exit_code == 2


@pytest.mark.parametrize("arguments", [["billing"], ["billing", "3", "--all"]])
def test_dlq_redrive_needs_offsets_or_all_but_not_both(arguments):
    answer = runner.invoke(app, ["dlq", "redrive", *arguments, *NO_BROKER])
    assert answer.exit_code == 2 and "--all" in answer.output


def test_dlq_show_needs_a_numeric_offset():
    assert runner.invoke(app, ["dlq", "show", "billing", "latest", *NO_BROKER]).exit_code == 2


def test_trace_needs_a_correlation_id():
    assert runner.invoke(app, ["trace"]).exit_code == 2


@pytest.mark.parametrize("command", [["replay"], ["dlq", "list"], ["dlq", "show"], ["dlq", "redrive"], ["trace"]])
def test_every_operator_command_has_help_with_an_example(command):
    answer = runner.invoke(app, [*command, "--help"], env={"COLUMNS": "200"})
    assert answer.exit_code == 0 and "Example" in answer.output


def test_a_replay_plan_counts_the_records_read_again_or_skipped():
    tp = TopicPartition("seats.events.v1", 0)
    assert PartitionPlan(tp, committed=10, start=0, end=12, target=0).rereads == 10
    assert PartitionPlan(tp, committed=None, start=2, end=12, target=2).rereads == 0
    assert PartitionPlan(tp, committed=4, start=0, end=12, target=8).rereads == -4
