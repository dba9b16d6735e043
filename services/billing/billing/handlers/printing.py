"""The printer (issue 15, item 3): prints each issued invoice once, as its PDF/A-3b with its
Factur-X data, and publishes it on `billing.documents.v1` for the invoice e-mail to carry.

Printing costs about 0.2 s of CPU: it happens outside any transaction, on the printing thread
the PDF route shares. The print is then recorded in one short transaction, which publishes
`billing.invoice_printed` only if it recorded it: replicas may print the same invoice at once,
and a crash between print and commit prints again, the same bytes under the same event id.
"""

from __future__ import annotations

import asyncio
import base64
import hashlib
import logging
import time
import uuid
import weakref
from collections.abc import Awaitable, Callable
from dataclasses import dataclass

from prometheus_client import CollectorRegistry, Counter

from billing.adapters.printing import print_invoice
from billing.domain.invoices import Invoice
from billing.store.prints import wake_printers_on_issue
from billing.store.uow import BillingUnitOfWork
from contracts.billing import MAX_ATTACHED_PDF_BYTES, InvoicePrinted
from servicekit.loops import drive
from servicekit.runtime import ServiceRuntime

log = logging.getLogger("billing.printer")

Billing = ServiceRuntime[BillingUnitOfWork]
Printing = Callable[[Invoice], Awaitable[bytes]]

BATCH = 4  # invoices per round: a round holds the printing thread about a second at most
POLL_SECONDS = 5.0  # the wake-up after an issue makes this the fallback, not the delay
FIRST_RETRY_SECONDS = 5.0
LONGEST_RETRY_SECONDS = 3600.0


def printed_event_id(invoice_id: str) -> str:
    """The same for every print of one invoice: a print repeated after a crash is one event."""
    return str(uuid.uuid5(uuid.NAMESPACE_URL, f"entitle:billing:invoice_printed:{invoice_id}"))


def invoice_printed(invoice: Invoice, pdf: bytes) -> InvoicePrinted:
    """What the e-mail needs; the bytes only up to what one Kafka record carries."""
    return InvoicePrinted(
        invoice_id=invoice.invoice_id,
        account_id=invoice.account_id,
        number=invoice.number,
        kind=invoice.kind.value,
        filename=f"{invoice.number}.pdf",
        media_type="application/pdf",
        size_bytes=len(pdf),
        sha256=hashlib.sha256(pdf).hexdigest(),
        content_base64=base64.b64encode(pdf).decode("ascii") if len(pdf) <= MAX_ATTACHED_PDF_BYTES else None,
    )


_COUNTERS: weakref.WeakKeyDictionary[CollectorRegistry, Counter] = weakref.WeakKeyDictionary()


def _prints_counter(registry: CollectorRegistry) -> Counter:
    """The kit's metrics have no error counter to share: this one is on the service's registry
    (once per registry: a test may run a second printer on one runtime)."""
    if (counter := _COUNTERS.get(registry)) is None:
        counter = _COUNTERS[registry] = Counter(
            "entitle_invoice_prints",
            "Invoices printed for their e-mail, by outcome: printed, already_printed (by another "
            "replica), failed (retried later).",
            ["service", "outcome"],
            registry=registry,
        )
    return counter


@dataclass
class _Failing:
    failures: int
    retry_at: float  # monotonic


class InvoicePrinter:
    """One per process, run as the service's worker `printer`."""

    def __init__(
        self,
        runtime: Billing,
        *,
        printing: Printing = print_invoice,
        batch: int = BATCH,
        poll_seconds: float = POLL_SECONDS,
        monotonic: Callable[[], float] = time.monotonic,
    ) -> None:
        self._runtime, self._print, self._batch = runtime, printing, batch
        self._poll_seconds, self._monotonic = poll_seconds, monotonic
        self._failing: dict[str, _Failing] = {}
        self._wakeup: asyncio.Event | None = None
        self._prints = _prints_counter(runtime.metrics.registry)

    def wake(self) -> None:
        if self._wakeup is not None:
            self._wakeup.set()

    async def run(self) -> None:
        self._wakeup = asyncio.Event()  # made here: bound to the loop the worker runs on
        stop_waking = wake_printers_on_issue(self.wake)
        try:
            await drive(
                self.print_due, self._wakeup, poll_seconds=self._poll_seconds, log=log, what="printing invoices"
            )
        finally:
            stop_waking()

    async def print_due(self) -> int:
        """One round: a few unprinted invoices, oldest first, each printed and published.
        Returns how many were tried; a print that fails waits out its own backoff, and the
        others go on."""
        now = self._monotonic()
        waiting = {invoice_id for invoice_id, f in self._failing.items() if f.retry_at > now}
        async with self._runtime.uow(read_only=True) as uow:
            ids = await uow.prints.unprinted(self._batch, skip=waiting)
            found = [await uow.invoices.get(invoice_id) for invoice_id in ids]
        invoices = [invoice for invoice in found if invoice is not None]
        for invoice in invoices:
            await self._print_one(invoice)
        return len(invoices)

    async def _print_one(self, invoice: Invoice) -> None:
        try:
            pdf = await self._print(invoice)
        except Exception as error:  # noqa: BLE001 - a bug in one invoice's print must not hold the others
            self._failed(invoice, error)
            return
        event = invoice_printed(invoice, pdf)
        uow = self._runtime.uow(subject=invoice.account_id)
        async with uow:
            recorded = await uow.prints.add(invoice.invoice_id, uow.now(), event.size_bytes, event.sha256)
            if recorded:
                await uow.publish(event, event_id=printed_event_id(invoice.invoice_id))
            await uow.commit()
        self._failing.pop(invoice.invoice_id, None)
        self._prints.labels(self._runtime.name, "printed" if recorded else "already_printed").inc()
        if event.content_base64 is None:
            log.warning(
                "invoice %s printed %d bytes, over the %d an e-mail carries: its e-mail has the link only",
                invoice.invoice_id,
                event.size_bytes,
                MAX_ATTACHED_PDF_BYTES,
            )

    def _failed(self, invoice: Invoice, error: Exception) -> None:
        failing = self._failing.get(invoice.invoice_id)
        failures = failing.failures + 1 if failing else 1
        delay = min(FIRST_RETRY_SECONDS * 2 ** (failures - 1), LONGEST_RETRY_SECONDS)
        self._failing[invoice.invoice_id] = _Failing(failures, self._monotonic() + delay)
        self._prints.labels(self._runtime.name, "failed").inc()
        log.error(
            "invoice %s could not be printed (attempt %d, %s: %s); trying again in %.0f s",
            invoice.invoice_id,
            failures,
            type(error).__name__,
            error,
            delay,
            exc_info=error,
        )
