"""Issue 15, item 6: "My software" (R40) says that a subscription is suspended for an overdue
invoice. Seats' `GET /me/software` marks its item `payment_overdue: {"suspended_at"}`; the page
shows the banner in its non-administrator form (since when, "contact your administrator", no
invoice) and no link to open or download that product, saying why in words. The other products
are untouched. The fake seats answers as seats' `api/software.py` does (`test_software.Seats`)."""

from __future__ import annotations

from typing import Any

import pytest

from .conftest import ADA, hidden_fields
from .test_software import ANN, PASSWORD, Seats, item, text

SUSPENDED_AT = "2026-07-04T00:00:00Z"
DESKTOP = {
    "kind": "desktop",
    "start_url": "https://designer.example/",
    "download_url": "https://downloads.example/designer/latest",
}
WEB = {"kind": "web", "start_url": "https://planner.example/start"}
NOT_USABLE = "designer cannot be opened or downloaded while access is suspended; the seat stays assigned to you."


@pytest.fixture
def upstream(portal) -> Seats:
    portal.fakes.people[ANN.email] = (PASSWORD, ANN)
    return Seats(portal.fakes)


def suspended(entry: dict[str, Any], **overdue: Any) -> dict[str, Any]:
    return {**entry, "payment_overdue": {"suspended_at": SUSPENDED_AT, **overdue}}


async def my_software(portal, who=ANN) -> str:
    await portal.sign_in(who)
    page = await portal.get("/software")
    assert page.status_code == 200, page.text
    return page.text


async def test_issue_15_a_suspended_product_shows_the_seat_users_banner_and_no_link(portal, upstream):
    upstream.software[ANN.person_id] = [
        suspended(item("s-desk", "designer", "premium", "named_user", **DESKTOP)),
        {**item("s-web", "planner", "standard", "named_user", **WEB), "payment_overdue": None},
    ]
    page = await my_software(portal)
    shown = text(page)

    designer, planner = page.split('aria-labelledby="product-1"')[1].split('aria-labelledby="product-2"')
    assert 'role="alert"' in designer and 'role="alert"' not in planner
    assert "Access suspended since July 4, 2026: a payment is overdue" in shown
    assert "Contact your administrator: access comes back as soon as the invoice is paid." in shown
    # Not usable: no link to start, download or its page, and the reason in words instead.
    assert "downloads.example" not in designer and "designer.example" not in designer
    assert "Download designer" not in page and "Open designer" not in page
    assert NOT_USABLE in shown
    assert "A seat is assigned to you: use the product whenever you like." not in text(designer)
    # The other subscription's product is as before.
    assert '<a class="button" href="https://planner.example/start" rel="noopener">Open planner</a>' in planner
    assert "A seat is assigned to you: use the product whenever you like." in text(planner)
    assert "1 product you may use now" in shown  # the suspended one is listed, not counted as usable


async def test_issue_15_no_invoice_is_shown_to_a_seat_user_even_one_who_administers_it(portal, upstream):
    """Seats gives a seat user only the date; were an invoice ever in the item, the page would
    still not show it (the non-administrator form), even to the subscription's administrator."""
    upstream.software[ADA.person_id] = [
        suspended(item("s-desk", "designer", "premium", "named_user", **DESKTOP), invoice_id="inv-7", number="N-123")
    ]
    shown = text(await my_software(portal, ADA))
    assert "Contact your administrator" in shown and "Access suspended since July 4, 2026" in shown
    assert "inv-7" not in shown and "N-123" not in shown and "/invoices/" not in shown


@pytest.mark.parametrize("field", ["null", "absent", "not an object"])
async def test_issue_15_no_suspension_or_an_older_seats_shows_no_banner_and_the_links(portal, upstream, field):
    entry = item("s-desk", "designer", "premium", "named_user", **DESKTOP)
    if field != "absent":
        entry["payment_overdue"] = None if field == "null" else "yes"
    upstream.software[ANN.person_id] = [entry]
    page = await my_software(portal)
    assert 'role="alert"' not in page and "Access suspended" not in page
    assert "Download designer" in page and NOT_USABLE not in text(page)
    assert "1 product you may use now" in text(page)


async def test_issue_15_a_suspended_node_locked_seat_keeps_its_key_and_devices_but_says_not_now(portal, upstream):
    device = {"key_id": "k-1", "device_id": "dev-1", "device_name": "Ann's laptop", "activated_at": SUSPENDED_AT}
    upstream.software[ANN.person_id] = [
        suspended(item("s-node", "designer", "premium", "node_locked", activation_key="ABCD-EF01", devices=[device]))
    ]
    page = await my_software(portal)
    shown = text(page)
    assert "ABCD-EF01" in shown and "Free this device" in shown  # still theirs, still freeable
    assert NOT_USABLE in shown
    assert "Enter it in designer once on each device" not in shown  # activating is refused meanwhile
    assert "0 products you may use now" in shown


async def test_issue_15_the_reason_is_said_in_the_persons_language(portal, upstream):
    upstream.software[ANN.person_id] = [suspended(item("s-desk", "designer", "premium", "named_user", **DESKTOP))]
    fields = hidden_fields(await my_software(portal))
    await portal.post("/language", data={"csrf_token": fields["csrf_token"], "locale": "fr", "next": "/software"})
    shown = text((await portal.get("/software")).text)
    assert "designer ne peut être ni ouvert ni téléchargé tant que l&#39;accès est suspendu" in shown
    assert "Contactez votre administrateur" in shown
