"""Handlers over a real SQLite database: lines, invoices, numbers and the monthly run (R29–R32)."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from billing.adapters.rendering import render_invoice
from billing.handlers.buyers import billing_details_changed
from billing.handlers.subscriptions import order_buyer
from contracts import testing
from contracts.parties import AccountBillingDetails
from contracts.subscriptions import BillingDetails as OrderDetails
from contracts.values import BillingCycle


def order_buyer_of(details: OrderDetails) -> AccountBillingDetails:
    return order_buyer(testing.purchased(billing=details))


async def published(driver, event_type: str) -> list[dict]:
    return [envelope["data"] for envelope in await driver.published(event_type)]


async def invoices_of(driver, account="a-1"):
    async with driver.uow() as uow:
        return [await uow.invoices.get(i.invoice_id) for i in await uow.invoices.of_account(account)]


async def fire_monthly_run(driver, clock, at: datetime) -> None:
    [(_job_id, due_at)] = [job for job in await driver.pending_jobs() if job[0].startswith("monthly_invoicing")]
    assert due_at == at
    clock.set(at)
    await driver.fire_due()


async def test_R30_annual_activation_is_invoiced_at_once_with_the_years_charge(driver, clock, events):
    await driver.apply(*events.bought(quantity=3, po="PO-7"))
    [invoice] = await invoices_of(driver)
    assert (invoice.number, invoice.kind.value, invoice.po_number) == ("BE-INV-2026-000001", "invoice", "PO-7")
    # No billing details yet: the default seller's domestic rate (BE, 21 %), once on the sum.
    assert (invoice.net_total.amount_minor, invoice.vat_total.amount_minor) == (3 * 36500, 22995)
    assert invoice.total.amount_minor == 3 * 36500 + 22995
    [issued] = await published(driver, "billing.invoice_issued")
    assert issued["url"] == f"{driver.runtime.settings.portal_url}/invoices/{invoice.invoice_id}"
    assert issued["net_total"]["amount_minor"] == sum(l["amount"]["amount_minor"] for l in issued["lines"])
    assert issued["total"]["amount_minor"] == issued["net_total"]["amount_minor"] + issued["vat_total"]["amount_minor"]
    assert issued["administrator"]["email"] == events.ADA.email


async def test_R29_R30_a_seat_increase_on_an_annual_term_is_invoiced_at_once_and_adjusts(driver, clock, events):
    await driver.apply(*events.bought())
    await driver.apply(events.seats_changed(2, 5, events.START + timedelta(days=73)))
    numbers = sorted(i.number for i in await invoices_of(driver))
    assert numbers == ["BE-INV-2026-000001", "BE-INV-2026-000002"]
    [adjusted] = await published(driver, "billing.invoice_adjusted")
    assert adjusted["amount"]["amount_minor"] == 3 * 36500 * 292 // 365


async def test_R30_monthly_lines_wait_for_the_run_on_the_1st_which_schedules_the_next(driver, clock, events):
    await driver.apply(*events.bought(cycle=BillingCycle.MONTHLY, end=datetime(2026, 2, 5, 9, tzinfo=UTC)))
    await driver.apply(
        events.seats_changed(2, 3, events.START + timedelta(days=3), end=datetime(2026, 2, 5, 9, tzinfo=UTC))
    )
    assert await invoices_of(driver) == []
    await fire_monthly_run(driver, clock, datetime(2026, 2, 1, tzinfo=UTC))
    [invoice] = await invoices_of(driver)
    assert len(invoice.lines) == 2 and invoice.issued_at == datetime(2026, 2, 1, tzinfo=UTC)
    pending = [job_id for job_id, _ in await driver.pending_jobs() if job_id.startswith("monthly_invoicing")]
    assert pending == ["monthly_invoicing:2026-03"]


async def test_R31_the_monthly_run_uses_the_po_number_in_force_and_splits_by_po(driver, clock, events):
    monthly_end = datetime(2026, 2, 5, 9, tzinfo=UTC)
    await driver.apply(*events.bought(sid="s-1", cycle=BillingCycle.MONTHLY, end=monthly_end, po="PO-1"))
    await driver.apply(*events.bought(sid="s-2", cycle=BillingCycle.MONTHLY, end=monthly_end, po="PO-1"))
    await driver.apply(events.po_changed("PO-2", events.START + timedelta(days=2), sid="s-2"))
    await fire_monthly_run(driver, clock, datetime(2026, 2, 1, tzinfo=UTC))
    assert sorted(i.po_number for i in await invoices_of(driver)) == ["PO-1", "PO-2"]


async def test_R32_a_credit_exceeding_the_charges_is_a_credit_note(driver, clock, events):
    await driver.apply(*events.bought(price=109500, tier="premium_plus"))
    await driver.apply(
        events.tier_changed(
            events.START + timedelta(days=181), old=109500, new=73000, from_tier="premium_plus", to_tier="premium"
        )
    )
    numbers = sorted(i.number for i in await invoices_of(driver))
    assert numbers == ["BE-CN-2026-000001", "BE-INV-2026-000001"]
    assert len(await published(driver, "billing.invoice_adjusted")) == 2


async def test_R32_a_replayed_event_adds_no_line_and_no_invoice(driver, clock, events):
    await driver.apply(*events.bought())
    increase = events.seats_changed(2, 3, events.START + timedelta(days=10))
    envelope = await driver.apply(increase)
    await driver.apply_as(increase, envelope)  # even past the inbox: a line's id is its cause's
    assert len(await invoices_of(driver)) == 2
    async with driver.uow() as uow:
        assert len(await uow.lines.lines_of("s-1")) == 2


async def test_R29_R30_seats_seen_before_the_activation_are_invoiced_with_it(driver, clock, events):
    await driver.apply(events.seats_changed(2, 4, events.START + timedelta(days=1)))
    assert await invoices_of(driver) == []
    await driver.apply(*events.bought())
    [invoice] = await invoices_of(driver)
    assert len(invoice.lines) == 2


async def test_R17_R6_the_transferred_administrator_reads_and_receives(driver, clock, events):
    await driver.apply(*events.bought())
    await driver.apply(events.transferred(events.START + timedelta(days=1)))
    async with driver.uow() as uow:
        repo = uow.subscriptions
        assert await repo.administers(events.BOB.person_id, "a-1", "s-1")
        assert not await repo.administers(events.ADA.person_id, "a-1", "s-1")
        assert not await repo.administers(events.BOB.person_id, "a-other", "s-1")
        assert not await repo.administers_in(events.ADA.person_id, "a-1")
    await driver.apply(events.addon_added(events.START + timedelta(days=2)))
    assert (await published(driver, "billing.invoice_issued"))[-1]["administrator"]["person_id"] == events.BOB.person_id


async def test_R32_the_html_invoice_shows_number_po_lines_and_total_escaped(driver, clock, events):
    await driver.apply(*events.bought(po="<PO & 1>"))
    [invoice] = await invoices_of(driver)
    html = render_invoice(invoice)
    assert invoice.number in html and "&lt;PO &amp; 1&gt;" in html and "<PO & 1>" not in html
    assert "€730.00" in html and "2026-01-05" in html and "365/365" in html


async def test_R30_a_monthly_line_arriving_after_its_run_was_forgotten_waits_for_a_run_still_remembered(
    driver, clock, events
):
    """Done jobs are forgotten after a week (the kit's housekeeping): asking for a month's run
    that long past would run it a second time, so a line that late goes to a later run."""
    clock.set(datetime(2026, 4, 20, tzinfo=UTC))  # the line's own run (2026-02-01) is long done and forgotten
    await driver.apply(*events.bought(cycle=BillingCycle.MONTHLY, end=datetime(2026, 2, 5, 9, tzinfo=UTC)))
    assert [job_id for job_id, _ in await driver.pending_jobs()] == ["monthly_invoicing:2026-05"]


async def test_issue15_the_buyer_is_the_accounts_billing_details_from_identity_and_picks_the_seller(driver, events):
    changed = testing.billing_details_changed()
    async with driver.uow() as uow:
        await billing_details_changed(changed, uow)
        await uow.commit()
    await driver.apply(*events.bought(quantity=3))
    [invoice] = await invoices_of(driver)
    assert (invoice.number, invoice.buyer.legal_name, invoice.buyer.email) == (
        "FR-INV-2026-000001",
        "Atelier Dupont SARL",
        "compta@dupont.example",
    )
    assert (invoice.net_total.amount_minor, invoice.vat_total.amount_minor) == (109500, 21900)  # FR 20 %
    [issued] = await published(driver, "billing.invoice_issued")
    assert (issued["seller_id"], issued["invoicing_email"]) == ("FR", "compta@dupont.example")


async def test_issue15_R45_an_orders_billing_details_stand_until_identity_publishes_the_accounts(driver, events):
    order = OrderDetails(
        company_name="Klant BV",
        contact_name="Kees",
        billing_email="facturen@klant.example",
        address="Damrak 1",
        postal_code="1012 LG",
        city="Amsterdam",
        country="NL",
        vat_number="NL004495445B01",
    )
    purchased, activated = events.bought(quantity=1)
    await driver.apply(purchased.model_copy(update={"billing": order}), activated)
    [invoice] = await invoices_of(driver)
    assert (invoice.buyer.legal_name, invoice.vat_total.amount_minor) == ("Klant BV", 0)  # BE→NL reverse charge
    async with driver.uow() as uow:  # a later order does not replace them
        later = order.model_copy(update={"company_name": "Other BV"})
        assert not await uow.buyers.record("a-1", order_buyer_of(later), events.START, from_order=True)
