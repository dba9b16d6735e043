"""A test clock for one subscription (in the spirit of Stripe's test clocks): it lives a year
ahead while the rest of the stack keeps its time."""

from __future__ import annotations

from datetime import datetime

from devkit.client import EntitleClient, eventually
from opskit.topicreader import events_of


def types_of(stack, subscription_id: str) -> list[str]:
    return [e["type"] for e in events_of(stack.config.bootstrap, "subscriptions.events.v1", subscription_id)]


def stack_now(api: EntitleClient, subject: str | None = None) -> datetime:
    path = "/ops/clock" + (f"?subject={subject}" if subject else "")
    return datetime.fromisoformat(api.call("subscriptions", "GET", path)["now"])


def test_R11_one_subscription_moved_a_year_ahead_renews_while_the_others_do_not(stack, api, customer):
    ahead, beside = (customer.accept(customer.purchase(quantity=2)["id"]) for _ in range(2))
    before = stack_now(api)
    api.advance_subscription_clock(ahead["id"], days=366)
    assert stack_now(api) == before
    assert (stack_now(api, ahead["id"]) - before).days == 366
    eventually(lambda: "subscription.renewed" in types_of(stack, ahead["id"]), what="the renewal of the one moved")
    assert "subscription.renewed" not in types_of(stack, beside["id"])
    renewed = customer.subscription(ahead["id"])
    assert renewed["term_start"] == ahead["term_end"]
    # A command on it happens at its own time: the seat added is prorated against the new term.
    customer.change_quantity(ahead["id"], 3)
    line = eventually(lambda: customer.invoice_lines(ahead["id"])["lines"], what="a prorated line")[0]
    assert line["period_start"][:10] == stack_now(api, ahead["id"]).date().isoformat()
    assert customer.subscription(beside["id"])["term_start"] == beside["term_start"]
