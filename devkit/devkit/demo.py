"""`make demo`: one year of one annual subscription, moved through on the stack's test clock.

Purchase, activation, seats added in month 3, a tier upgrade in month 6, cancellation in
month 12, the term end (seats revoked), the grace and the end, then every invoice with its lines.
"""

from __future__ import annotations

from rich.panel import Panel
from rich.table import Table

from devkit.client import EntitleClient, eventually
from devkit.devstack import PORTAL, SERVICES, StackConfig
from devkit.mailbox import read_mailbox
from opskit.console import make_console
from opskit.topicreader import events_of

console = make_console()


def money(amount: dict) -> str:
    return f"{amount['amount_minor'] / 100:,.2f} {amount['currency']}"


def run_year(config: StackConfig) -> list[str]:
    """Lives the year; returns the portal links it ends by printing."""
    api = EntitleClient({s: config.url(s) for s in SERVICES})
    step = _stepper(api)
    mail_seen = {m.path for m in read_mailbox(config.mail_dir)}

    step("Register a customer account and sign in (identity)")
    admin = api.new_customer("Camille Dupont", locale="fr")

    step("Purchase 3 annual named-user seats of Designer Premium (R7)")
    sid = admin.purchase(quantity=3, tier="premium")["id"]
    agreement = _mail(config, sid, "agreement")
    console.print(
        Panel(
            agreement.text,
            title=f"E-mail to {agreement.to}: {agreement.subject}",
            subtitle=f"language {agreement.language}",
        )
    )

    step("Accept the agreement: active, seats unlocked, the year invoiced at once (R7, R21, R30)")
    admin.accept(sid)
    eventually(lambda: admin.seats(sid)["status"] == "unlocked", what="unlocked seats")
    admin.assign(sid, "alice@example.com")
    seen = _show_new_invoices(admin, seen=set())

    step("Month 3: two more seats, charged at once for the rest of the year (R25, R29, R30)")
    api.advance_clock(days=61)
    admin.change_quantity(sid, 5)
    seen = _show_new_invoices(admin, seen)

    step("Month 6: preview, propose and accept an upgrade to Premium Plus (R12)")
    api.advance_clock(days=92)
    preview = admin.preview_tier_change(sid, "premium_plus")
    console.print(
        f"  preview: credit {money(preview['credit'])}, charge {money(preview['charge'])}, "
        f"net [bold]{money(preview['net'])}[/] for {preview['days_remaining']} of "
        f"{preview['days_in_term']} days"
    )
    amendment = admin.propose_amendment(sid, "premium_plus")
    _mail(config, sid, "amendment")
    admin.accept_amendment(sid, amendment["id"])
    seen = _show_new_invoices(admin, seen)

    step("Month 12: cancel with a reason, in the last month of the term (R14)")
    api.advance_clock(days=190)
    console.print(f"  access continues until {admin.cancel(sid, 'Moving to another product')['cancels_at']}")

    step("The term ends: every seat revoked at once, the administrator told, 10 days to renew (R28, R48)")
    api.advance_clock(days=30)
    eventually(lambda: admin.seats(sid)["status"] == "suspended", what="the seats revoked at the term end")
    _mail(config, sid, "deprovisioned")

    step("Not renewed within the grace: subscription.ended (R15)")
    api.advance_clock(days=10)
    eventually(lambda: admin.subscription(sid)["status"] == "ended", what="the end after the grace")

    step("Every invoice of the year, with its lines (R29–R32)")
    _show_invoices(admin, admin.invoices())

    step("Events of this subscription, as any Kafka client sees them")
    table = Table("topic", "type", "time")
    for topic in ("subscriptions.events.v1", "seats.events.v1", "billing.events.v1"):
        for event in events_of(config.bootstrap, topic, sid):
            table.add_row(topic, event["type"], event["time"][:19])
    console.print(table)

    step("E-mails received by the SMTP server")
    for mail in read_mailbox(config.mail_dir):
        if mail.path not in mail_seen:
            console.print(f"  {mail.language}  {mail.template:<26} {mail.subject}", markup=False)
    console.print("\n[green]A year in the life of one subscription, done.[/]")
    return _portal_links(config, admin, sid)


def _portal_links(config: StackConfig, admin: EntitleClient, subscription_id: str) -> list[str]:
    """Where to look at the same year in the browser, as the demo's people."""
    portal = config.url(PORTAL)
    email, password = admin.credentials or ("", "")
    invitation = _mail(config, subscription_id, "invitation")
    table = Table("who", "open", "what", box=None)
    table.add_row("Camille (administrator)", f"{portal}/sign-in", f"sign in as {email} / {password}")
    for path, what in (
        (f"/subscriptions/{subscription_id}", "the subscription: ended, with its history"),
        (f"/subscriptions/{subscription_id}/users", "its users"),
        ("/invoices", "the year's invoices"),
        ("/company/emails", "every e-mail sent"),
    ):
        table.add_row("", f"{portal}{path}", what)
    [link] = {word for word in invitation.text.split() if word.startswith("http")}
    table.add_row("Alice (seat user)", link, "her invitation: register, then My software")
    console.print(Panel(table, title=f"Open the portal: {portal}"))
    return [row for row in table.columns[1].cells if isinstance(row, str)]


def _mail(config: StackConfig, subscription_id: str, template: str):
    return eventually(
        lambda: [
            m for m in read_mailbox(config.mail_dir) if m.subscription_id == subscription_id and m.template == template
        ],
        what=f"{template} e-mail",
    )[0]


def _show_new_invoices(admin: EntitleClient, seen: set[str]) -> set[str]:
    fresh = eventually(lambda: [i for i in admin.invoices() if i["invoice_id"] not in seen], what="a new invoice")
    _show_invoices(admin, fresh)
    return seen | {i["invoice_id"] for i in fresh}


def _show_invoices(admin: EntitleClient, invoices: list[dict]) -> None:
    for summary in sorted(invoices, key=lambda i: (i["issued_at"], i["number"])):
        invoice = admin.invoice(summary["invoice_id"])
        table = Table(
            "line",
            "amount",
            title=f"{invoice['number']}  {invoice['issued_at'][:10]}  PO {invoice.get('po_number') or '-'}",
            title_justify="left",
        )
        for line in invoice["lines"]:
            table.add_row(line["description"], money(line["amount"]))
        table.add_row("[bold]total[/]", f"[bold]{money(invoice['total'])}[/]")
        console.print(table)


def _stepper(api: EntitleClient):
    number = 0

    def step(title: str) -> None:
        nonlocal number
        number += 1
        now = api.call("subscriptions", "GET", "/ops/clock")["now"][:10]
        console.rule(f"[bold]{number}. {title}[/]  [dim]{now}[/]")

    return step
