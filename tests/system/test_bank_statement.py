"""A bank statement pays an invoice through the whole running stack (issue 15, item 5): the
operator imports the bank's camt.053, billing matches the credit by the invoice's RF reference,
the invoice is paid, and subscriptions hears it on billing.events.v1: the add-on it refused
while the invoice was open (R20) is accepted. Importing the same file again changes nothing.

The stack and its clock are shared with the other system tests: every check is scoped to this
test's own customer, and the statement's ids are new to each run.
"""

from __future__ import annotations

import uuid
from datetime import datetime

import httpx
import pytest

from devkit.client import EntitleError, eventually
from devkit.timemachine import operator_headers

SELLER_IBAN = "BE71096123456769"  # the packaged demo seller BE's account (billing's demo_sellers.toml)


def camt053(statement_id: str, booked_on: str, amount_minor: int, reference: str) -> bytes:
    """The smallest camt.053.001.02 a bank sends: one booked credit transfer quoting `reference`."""
    amount = f"{amount_minor // 100}.{amount_minor % 100:02d}"
    return f"""<?xml version="1.0" encoding="UTF-8"?>
<Document xmlns="urn:iso:std:iso:20022:tech:xsd:camt.053.001.02">
 <BkToCstmrStmt>
  <GrpHdr><MsgId>MSG-{statement_id}</MsgId><CreDtTm>{booked_on}T18:00:00+01:00</CreDtTm></GrpHdr>
  <Stmt>
   <Id>{statement_id}</Id><CreDtTm>{booked_on}T18:00:00+01:00</CreDtTm>
   <Acct><Id><IBAN>{SELLER_IBAN}</IBAN></Id><Ccy>EUR</Ccy></Acct>
   <Bal><Tp><CdOrPrtry><Cd>OPBD</Cd></CdOrPrtry></Tp><Amt Ccy="EUR">0.00</Amt>
    <CdtDbtInd>CRDT</CdtDbtInd><Dt><Dt>{booked_on}</Dt></Dt></Bal>
   <Bal><Tp><CdOrPrtry><Cd>CLBD</Cd></CdOrPrtry></Tp><Amt Ccy="EUR">{amount}</Amt>
    <CdtDbtInd>CRDT</CdtDbtInd><Dt><Dt>{booked_on}</Dt></Dt></Bal>
   <Ntry>
    <Amt Ccy="EUR">{amount}</Amt><CdtDbtInd>CRDT</CdtDbtInd><Sts>BOOK</Sts>
    <BookgDt><Dt>{booked_on}</Dt></BookgDt><ValDt><Dt>{booked_on}</Dt></ValDt>
    <AcctSvcrRef>{statement_id}-1</AcctSvcrRef>
    <BkTxCd><Domn><Cd>PMNT</Cd><Fmly><Cd>RCDT</Cd><SubFmlyCd>ESCT</SubFmlyCd></Fmly></Domn></BkTxCd>
    <NtryDtls><TxDtls>
     <RltdPties><Dbtr><Nm>Ada Admin's company</Nm></Dbtr></RltdPties>
     <RmtInf><Strd><CdtrRefInf><Tp><CdOrPrtry><Cd>SCOR</Cd></CdOrPrtry></Tp>
      <Ref>{reference}</Ref></CdtrRefInf></Strd></RmtInf>
    </TxDtls></NtryDtls>
   </Ntry>
  </Stmt>
 </BkToCstmrStmt>
</Document>
""".encode()


def import_statement(stack, body: bytes) -> dict:
    answer = httpx.post(
        f"{stack.config.url('billing')}/ops/bank-statements",
        content=body,
        headers={"Content-Type": "application/xml", **operator_headers()},
        timeout=30,
    )
    assert answer.status_code == 200, answer.text
    return answer.json()


def add_on(customer, sid: str) -> dict:
    return customer.call("subscriptions", "POST", f"/subscriptions/{sid}/addons", {"addon": "cloud_storage"})


def test_issue15_R20_a_statement_pays_the_invoice_by_its_reference_and_the_add_on_follows(stack, api, customer):
    sid = customer.purchase(quantity=2)["id"]
    customer.accept(sid)
    [summary] = eventually(customer.invoices, what="the activation's invoice")
    invoice = customer.invoice(summary["invoice_id"])
    api.settle()  # subscriptions has heard the invoice is open
    with pytest.raises(EntitleError) as refused:
        add_on(customer, sid)
    assert (refused.value.status, refused.value.code) == (409, "base_not_paid")

    today = datetime.fromisoformat(api.call("subscriptions", "GET", "/ops/clock")["now"]).date().isoformat()
    total, reference = invoice["total"]["amount_minor"], invoice["payment_reference"]
    statement = camt053(f"E2E-{uuid.uuid4().hex[:12]}", today, total, reference)
    imported = import_statement(stack, statement)
    assert not imported["already_imported"]
    [matched] = imported["matched"]
    assert (matched["invoice_number"], matched["invoice_state"]) == (invoice["number"], "paid")
    assert customer.invoice(summary["invoice_id"])["state"] == "paid"

    added = eventually(lambda: _accepted(customer, sid), what="the add-on accepted once the invoice is paid")
    assert added["addons"] == ["cloud_storage"]

    again = import_statement(stack, statement)
    assert again["already_imported"] and again["matched"] == imported["matched"]
    assert customer.invoice(summary["invoice_id"])["paid"] == invoice["total"]  # paid once, not twice


def _accepted(customer, sid: str) -> dict | None:
    try:
        return add_on(customer, sid)
    except EntitleError as error:
        if error.code != "base_not_paid":
            raise
        return None
