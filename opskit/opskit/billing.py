"""`entitle billing …`: the finance team's verbs on a running billing service (issue 15,
item 7), each one of billing's operator routes (`/ops/…`, `X-Operator-Token`):

    entitle billing import-statement FILE     a camt.053/054 file: what it paid, what is left
    entitle billing unmatched                 the bank entries no invoice was found for
    entitle billing assign ENTRY INVOICE_ID   say which invoice an unmatched credit pays
    entitle billing unassign ENTRY            undo a match that paid the wrong invoice, with a reason
    entitle billing pay INVOICE_ID AMOUNT     record a payment received some other way
    entitle billing write-off INVOICE_ID      stop collecting an invoice, with a reason
    entitle billing credit INVOICE_ID         correct an invoice with a credit note, with a reason
    entitle billing export invoices|payments  a period as CSV, for the accounting software
    entitle billing sepa-file SELLER          write the seller's direct debits due as a pain.008
    entitle billing sepa-file --get FILE_ID   download a collection file written before

A refusal is billing's own message and exit code 1; a silent service says where it looked.
"""

from __future__ import annotations

import uuid
from collections.abc import Callable
from datetime import date
from decimal import Decimal, InvalidOperation
from pathlib import Path
from typing import Annotated, Any

import httpx
import typer
from rich.table import Table

from opskit.console import make_console
from opskit.endpoints import Endpoints

console = make_console()
billing = typer.Typer(
    help="Bank statements, payments and write-offs on billing (docs/billing.md).", no_args_is_help=True
)

Token = Annotated[str | None, typer.Option(envvar="OPERATOR_TOKEN", help="sent as X-Operator-Token")]
# What the commands call billing with; tests give a client with their own transport.
client_factory: Callable[[], httpx.Client] = lambda: httpx.Client(timeout=120)  # noqa: E731
_stack: Callable[[], Endpoints] = Endpoints.from_environment


def _call(method: str, path: str, token: str | None, *, raw: bool = False, **request: Any) -> Any:
    url = _stack().url("billing")
    headers = {**request.pop("headers", {}), **({"X-Operator-Token": token} if token else {})}
    try:
        with client_factory() as client:
            answer = client.request(method, f"{url}{path}", headers=headers, **request)
    except httpx.HTTPError as error:
        console.print(f"[red]billing does not answer at {url} ({error}); set ENTITLE_BILLING_URL.[/]")
        raise typer.Exit(1) from error
    if answer.status_code >= 400:
        said = answer.json() if "json" in answer.headers.get("content-type", "") else {"message": answer.text}
        console.print(f"[red]billing refused ({answer.status_code} {said.get('code', '')}): {said.get('message')}[/]")
        raise typer.Exit(1)
    return answer.content if raw else answer.json()


def _money(value: dict | None) -> str:
    if not value:
        return ""
    units, cents = divmod(abs(value["amount_minor"]), 100)
    return f"{'-' if value['amount_minor'] < 0 else ''}{units}.{cents:02d} {value['currency']}"


def _entries(title: str, rows: list[dict]) -> Table:
    table = Table(title=title)
    for name in ("entry", "booked", "amount", "reference", "invoice", "state / note"):
        table.add_column(name)
    for row in rows:
        table.add_row(
            row["entry_id"],
            str(row.get("booked_on", "")),
            _money(row.get("amount")),
            row.get("reference") or "",
            row.get("invoice_number") or "",
            row.get("invoice_state") or row.get("note") or "",
        )
    return table


@billing.command("import-statement")
def import_statement(
    file: Annotated[Path, typer.Argument(exists=True, dir_okay=False, readable=True, help="camt.053 or camt.054 XML")],
    operator_token: Token = None,
) -> None:
    """Import a bank statement: credits pay invoices, returns reopen them, the rest is listed.
    Importing the same statement again changes nothing. Example:
    `entitle billing import-statement ~/Downloads/2026-03-05.xml`"""
    summary = _call(
        "POST",
        "/ops/bank-statements",
        operator_token,
        content=file.read_bytes(),
        headers={"Content-Type": "application/xml"},
    )
    if summary["already_imported"]:
        console.print(f"[yellow]Statement {summary['statement_id']} was imported before: nothing changed.[/]")
    console.print(f"Statement {summary['statement_id']}: {summary['entries']} entries")
    for part, title in (
        ("matched", "paid in full"),
        ("partially_paid", "paid in part"),
        ("reversals", "returned: invoice reopened"),
        ("duplicates", "imported before: nothing done"),
        ("unmatched", "unmatched: `entitle billing assign ENTRY INVOICE_ID`"),
    ):
        if summary[part]:
            console.print(_entries(f"{len(summary[part])} {title}", summary[part]))


@billing.command("unmatched")
def unmatched(operator_token: Token = None, limit: int = typer.Option(100, min=1, max=500)) -> None:
    """The bank entries no invoice or payment was found for, oldest first."""
    rows = _call("GET", "/ops/bank-entries", operator_token, params={"outcome": "unmatched", "limit": limit})
    if not rows:
        console.print("No unmatched entries.")
        return
    console.print(_entries(f"{len(rows)} unmatched entries", rows))


@billing.command("assign")
def assign(entry_id: str, invoice_id: str, operator_token: Token = None) -> None:
    """Say which invoice an unmatched credit pays: it is recorded as a transfer paying it."""
    answer = _call("POST", f"/ops/bank-entries/{entry_id}/assignment", operator_token, json={"invoice_id": invoice_id})
    invoice = answer["invoice"]
    console.print(f"{entry_id} pays {invoice['number']}: {invoice['state']}, {_money(invoice['open_amount'])} open")


@billing.command("unassign")
def unassign(
    entry_id: str,
    reason: str = typer.Option(..., help="why the match was wrong (one line): kept on the entry"),
    idempotency_key: str = typer.Option(None, help="repeat the key a failed attempt printed"),
    operator_token: Token = None,
) -> None:
    """Undo the match of a credit that paid the wrong invoice: its payment is reversed (that
    invoice owes it again) and the entry is unmatched, to assign to the right invoice. Example:
    `entitle billing unassign 2026030500004 --reason "paid by Client B, not Client A"`"""
    key = idempotency_key or str(uuid.uuid4())
    console.print(f"Idempotency-Key {key} (give it again with --idempotency-key to retry safely)")
    answer = _call(
        "POST",
        f"/ops/bank-entries/{entry_id}/unassignment",
        operator_token,
        json={"reason": reason},
        headers={"Idempotency-Key": key},
    )
    invoice = answer["invoice"]
    console.print(
        f"{entry_id} no longer pays {invoice['number']}: {invoice['state']}, {_money(invoice['open_amount'])} open. "
        f"Now `entitle billing assign {entry_id} INVOICE_ID`."
    )


def _minor_units(amount: str) -> int:
    try:
        value = Decimal(amount)
    except InvalidOperation:
        raise typer.BadParameter(f"{amount!r} is not an amount: write it like 120.50") from None
    if value <= 0 or value != value.quantize(Decimal("0.01")):
        raise typer.BadParameter(f"{amount}: a positive amount with at most two decimals")
    return int(value * 100)


@billing.command("pay")
def pay(
    invoice_id: str,
    amount: Annotated[str, typer.Argument(help="as received, e.g. 120.50")],
    currency: str = typer.Option("EUR", help="the invoice's (ISO 4217)"),
    received_on: str = typer.Option(None, "--on", help="YYYY-MM-DD; default today"),
    note: str = typer.Option(None, help="how it was paid: cheque number, card receipt…"),
    idempotency_key: str = typer.Option(
        None, help="repeat the key a failed attempt printed: the payment is then recorded once"
    ),
    operator_token: Token = None,
) -> None:
    """Record a payment received outside the bank statements. Example:
    `entitle billing pay 3f2c… 441.65 --on 2026-02-03 --note "cheque 0042"`"""
    try:
        on = date.fromisoformat(received_on) if received_on else date.today()
    except ValueError:
        raise typer.BadParameter(f"{received_on!r}: write the day as YYYY-MM-DD") from None
    minor = _minor_units(amount)
    key = idempotency_key or str(uuid.uuid4())
    console.print(f"Idempotency-Key {key} (give it again with --idempotency-key to retry safely)")
    body = {"amount_minor": minor, "currency": currency.upper(), "received_on": on.isoformat(), "note": note}
    answer = _call(
        "POST", f"/ops/invoices/{invoice_id}/payments", operator_token, json=body, headers={"Idempotency-Key": key}
    )
    extra = f"; {_money(answer['unapplied'])} beyond what it owed" if answer.get("unapplied") else ""
    console.print(f"{answer['number']}: {answer['state']}, {_money(answer['open_amount'])} open{extra}")


@billing.command("write-off")
def write_off(
    invoice_id: str,
    reason: str = typer.Option(..., help="why it will not be collected (one line)"),
    operator_token: Token = None,
) -> None:
    """Stop collecting an invoice: it becomes uncollectible (a later payment still pays it)."""
    answer = _call("POST", f"/ops/invoices/{invoice_id}/write-off", operator_token, json={"reason": reason})
    console.print(f"{answer['number']}: {answer['state']} ({reason})")


@billing.command("credit")
def credit(
    invoice_id: str,
    reason: str = typer.Option(..., help="why the invoice is corrected (one line)"),
    line: list[str] = typer.Option(
        None, help="LINE_ID=AMOUNT to credit part of a line (repeat); none: every line in full"
    ),
    idempotency_key: str = typer.Option(None, help="repeat the key a failed attempt printed"),
    operator_token: Token = None,
) -> None:
    """Correct an issued invoice with a credit note that references it (same seller, buyer and
    VAT). Example: `entitle billing credit 3f2c… --reason "2 seats, not 3" --line 7a1…=730.00`"""
    amounts: dict[str, int] = {}
    for item in line or []:
        line_id, _, amount = item.partition("=")
        if not line_id or not amount:
            raise typer.BadParameter(f"{item!r}: write LINE_ID=AMOUNT")
        amounts[line_id] = _minor_units(amount)
    key = idempotency_key or str(uuid.uuid4())
    console.print(f"Idempotency-Key {key} (give it again with --idempotency-key to retry safely)")
    note = _call(
        "POST",
        f"/ops/invoices/{invoice_id}/credit-note",
        operator_token,
        json={"reason": reason, "lines": amounts or None},
        headers={"Idempotency-Key": key},
    )
    console.print(f"{note['number']} corrects {note['corrects']}: {_money(note['total'])}")


@billing.command("export")
def export(
    what: Annotated[str, typer.Argument(help="invoices or payments")],
    first: str = typer.Option(..., "--from", help="first day, YYYY-MM-DD"),
    last: str = typer.Option(..., "--to", help="last day, included; at most 366 days after --from"),
    out: Path = typer.Option(None, "-o", "--out", help="the CSV file; default <what>-<from>-<to>.csv"),
    operator_token: Token = None,
) -> None:
    """Invoices issued, or payments received, in a period as CSV (UTF-8, amounts with a point).
    Example: `entitle billing export invoices --from 2026-01-01 --to 2026-03-31`"""
    if what not in ("invoices", "payments"):
        raise typer.BadParameter(f"{what!r}: export invoices or payments")
    for day in (first, last):
        try:
            date.fromisoformat(day)
        except ValueError:
            raise typer.BadParameter(f"{day!r}: write the day as YYYY-MM-DD") from None
    data = _call("GET", f"/ops/exports/{what}.csv", operator_token, raw=True, params={"from": first, "to": last})
    target = out or Path(f"{what}-{first}-{last}.csv")
    target.write_bytes(data)
    rows = max(data.count(b"\n") - 1, 0)  # less the header line
    console.print(f"{target}: {rows} {what}")


@billing.command("sepa-file")
def sepa_file(
    seller_id: Annotated[str | None, typer.Argument(help="the seller collecting, e.g. BE")] = None,
    get: str = typer.Option(None, "--get", help="download this file again instead of writing one"),
    out: Path = typer.Option(None, "-o", "--out", help="where to write it; default <file id>.xml"),
    idempotency_key: str = typer.Option(None, help="repeat the key a failed attempt printed"),
    operator_token: Token = None,
) -> None:
    """The SEPA Direct Debit file (pain.008.001.02) of a seller's collections due, to hand to
    the bank; each collection goes into one file only. Example: `entitle billing sepa-file BE`"""
    if (seller_id is None) == (get is None):
        raise typer.BadParameter("give a SELLER to write a new file, or --get FILE_ID to download one")
    file_id = get
    if seller_id is not None:
        key = idempotency_key or str(uuid.uuid4())
        console.print(f"Idempotency-Key {key} (give it again with --idempotency-key to retry safely)")
        written = _call(
            "POST",
            "/ops/sepa/collection-files",
            operator_token,
            json={"seller_id": seller_id},
            headers={"Idempotency-Key": key},
        )
        file_id = written["file_id"]
        console.print(f"{file_id}: {written['collections']} collections, {_money(written['total'])}")
        for dropped in written.get("dropped") or []:
            console.print(f"  not collected: {dropped['number']} ({dropped.get('note') or ''})")
    data = _call("GET", f"/ops/sepa/collection-files/{file_id}.xml", operator_token, raw=True)
    target = out or Path(f"{file_id}.xml")
    target.write_bytes(data)
    console.print(f"{target}: {len(data)} bytes")


def register(app: typer.Typer, stack: Callable[[], Endpoints]) -> None:
    """Add `billing` to the `entitle` command."""
    global _stack
    _stack = stack
    app.add_typer(billing, name="billing")
