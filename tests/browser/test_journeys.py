"""The guides' journeys in a real browser (issue 13), as the people of the guides live them,
against the running stack: every e-mailed link is opened as mailed, every page met is checked
by axe-core and drawn for docs/portal/ (`conftest.look`)."""

from __future__ import annotations

import re

from devkit.client import eventually

from .conftest import ON_SQLITE_STACK, PASSWORD, an_email, beside_the_browser, link_in, look, mail_to, sign_in

pytestmark = ON_SQLITE_STACK


def sign_up(page, stack, email: str, company: str, name: str, shots: bool = True) -> None:
    """R1: the company and its administrator, verified from the e-mail's link."""
    page.goto("/sign-up")
    if shots:
        look(page, "sign-up")
    page.locator("#company_name").fill(company)
    page.locator("#name").fill(name)
    page.locator("#email").fill(email)
    page.locator("#password").fill(PASSWORD)
    page.locator("input[name=accept_terms]").check()
    page.locator("form[action='/sign-up'] button[type=submit]").click()
    page.get_by_text(email).first.wait_for()
    if shots:
        look(page, "signed-up")
    mail = eventually(lambda: mail_to(stack, email, "verification"), timeout=30, what="the verification e-mail")
    page.goto(link_in(mail))  # the link as mailed: it opens the portal, which asks for one click
    if shots:
        look(page, "verify")
    page.locator("form[action='/verifications'] button[type=submit]").click()
    page.locator("p.done[role=status]").wait_for()
    if shots:
        look(page, "verified")


def buy(page, quantity: int, shots: bool = True) -> str:
    """R50, R45: from the catalogue to the confirmation; the subscription's id."""
    page.goto("/catalogue")
    if shots:
        look(page, "catalogue")
    page.locator("a[href^='/checkout?product=designer&tier=premium']").first.click()
    page.locator("#quantity").fill(str(quantity))
    page.locator("input[name=billing_cycle][value=annual]").check()
    page.locator("#company_name").fill("Browser & Co")
    page.locator("#contact_name").fill("Ada Browser")
    page.locator("#billing_email").fill("accounts@example.com")
    page.locator("#address").fill("1 Rue de la Paix")
    page.locator("#postal_code").fill("75002")
    page.locator("#city").fill("Paris")
    page.locator("#country").fill("FR")
    page.locator("input[name=payment_method]").first.check()
    page.locator("input[name=accept_terms]").check()
    if shots:
        look(page, "checkout")
    page.locator("button[name=step][value=review]").click()
    if shots:
        look(page, "checkout-review")
    page.locator("button[name=step][value=place]").click()
    page.wait_for_url(re.compile(r".*/checkout/[^/]+/confirmation"))
    if shots:
        look(page, "order-confirmed")
    return page.url.split("/checkout/")[1].split("/")[0]


def test_R1_R6_R7_R8_R22_R23_R45_R50_an_administrator_buys_activates_and_adds_users(stack, api, open_browser):
    page = open_browser("en")
    admin = an_email("ada")
    sign_up(page, stack, admin, "Browser & Co", "Ada Browser")
    sign_in(page, admin, shots=True)
    look(page, "my-software-empty")  # administering nothing yet, they land on their software

    sid = buy(page, quantity=5)

    # the agreement e-mail's link opens the agreement page (R7); accepted, it activates (R8)
    mail = eventually(lambda: mail_to(stack, admin, "agreement"), timeout=30, what="the agreement e-mail")
    page.goto(link_in(mail))
    page.wait_for_url(f"**/subscriptions/{sid}/agreement")
    look(page, "agreement")
    page.locator(f"form[action='/subscriptions/{sid}/agreement'] button[type=submit]").click()
    page.locator("#activation.done").wait_for()  # htmx polls until seats has unlocked the pool
    look(page, "agreement-accepted")
    page.goto("/subscriptions")
    look(page, "subscriptions")

    # one user by hand, with a seat (R22)
    page.goto(f"/subscriptions/{sid}/users")
    colleague = an_email("bea")
    page.locator("#new-email").fill(colleague)
    page.locator("#new-first-name").fill("Bea")
    page.locator("#new-last-name").fill("Browser")
    page.locator("#new-assign").check()
    page.get_by_role("button", name="Add user").click()
    page.get_by_role("cell", name=colleague, exact=True).wait_for()
    look(page, "users")

    # a file with an incomplete row and a duplicate, corrected on the page (R23)
    page.get_by_role("link", name="Import users").click()
    look(page, "import")
    cyd, dan = an_email("cyd"), an_email("dan")
    csv = f"email,first_name,last_name\n{cyd},Cyd,Browser\n{dan},,Browser\n{cyd},Cyd,Again\n"
    page.locator("#import-file").set_input_files(
        files=[{"name": "users.csv", "mimeType": "text/csv", "buffer": csv.encode()}]
    )
    page.get_by_role("button", name="Upload").click()
    page.wait_for_url(re.compile(r".*/users/import/[^/?]+"))
    page.locator("a[href='?tab=duplicates']").wait_for()
    look(page, "import-incomplete")
    page.locator("input[id^=first-name-]").first.fill("Dan")
    page.locator("button[aria-label^='Save row']").first.click()
    page.get_by_role("button", name="Submit import").click()
    page.get_by_text("Users added and invited").wait_for()
    look(page, "import-done")

    page.goto(f"/subscriptions/{sid}/users")
    for invited in (cyd, dan):
        page.get_by_role("cell", name=invited, exact=True).wait_for()

    # the invited user registers from the invitation e-mail and sees their software (R22, R40)
    invitation = eventually(lambda: mail_to(stack, colleague, "invitation"), timeout=30, what="the invitation")
    bea = open_browser("en")
    bea.goto(link_in(invitation))
    assert bea.locator("#email").input_value() == colleague
    look(bea, "invitation-registration")
    bea.locator("#name").fill("Bea Browser")
    bea.locator("#password").fill(PASSWORD)
    bea.locator("input[name=accept_terms]").check()
    bea.get_by_role("button", name="Register").click()
    verification = eventually(lambda: mail_to(stack, colleague, "verification"), timeout=30, what="her verification")
    bea.goto(link_in(verification))
    bea.locator("form[action='/verifications'] button[type=submit]").click()
    bea.locator("p.done[role=status]").wait_for()
    sign_in(bea, colleague)
    bea.goto("/software")
    bea.get_by_text("designer", exact=False).first.wait_for()
    # the packaged catalogue's designer is a desktop product: its installer's link (R40)
    download = bea.get_by_role("link", name=re.compile(r"^Download ")).first
    assert (download.get_attribute("href") or "").startswith("https://")
    assert download.get_attribute("rel") == "noopener"
    look(bea, "my-software")

    # the administrator manages the subscription: quantity with its price preview (R25, R29, R30)
    page.goto(f"/subscriptions/{sid}")
    look(page, "subscription")
    change = page.locator(f"form[action='/subscriptions/{sid}/change'][method=get]")
    change.locator("#quantity").fill("7")
    change.get_by_role("button", name="Preview the change").click()
    page.locator("#preview").wait_for()
    look(page, "quantity-preview")
    page.get_by_role("button", name="Confirm the change").click()
    page.wait_for_url(re.compile(rf".*/subscriptions/{sid}(\?.*)?$"))
    page.get_by_text("7 seats").first.wait_for()

    # tier upgrade: preview with credit, charge and net, then the amendment accepted (R12, R13, R37)
    change = page.locator(f"form[action='/subscriptions/{sid}/change'][method=get]")
    change.locator("#tier").select_option("premium_plus")
    change.get_by_role("button", name="Preview the change").click()
    page.locator("#preview").get_by_text("Net").wait_for()
    look(page, "tier-preview")
    page.get_by_role("button", name="Confirm the change").click()
    page.wait_for_url(re.compile(rf".*/subscriptions/{sid}/amendments/[^/]+$"))
    look(page, "amendment")
    page.get_by_role("button", name="Accept the amendment").click()
    page.wait_for_load_state("load")
    page.goto(f"/subscriptions/{sid}")
    page.get_by_text("Premium Plus").first.wait_for()

    # cancellation: a reason from the list, a review with the end date, then confirmed (R14, R49);
    # an annual subscription says no before its last month, and yes in it
    def cancel() -> None:
        page.goto(f"/subscriptions/{sid}/cancellation")
        page.locator("input[name=reason]").first.check()
        page.get_by_role("button", name="Review the cancellation").click()
        page.get_by_role("button", name="Confirm the cancellation").click()
        page.wait_for_load_state("load")

    cancel()
    page.get_by_role("alert").get_by_text("only in the last month of its term").wait_for()
    look(page, "cancellation-refused")
    beside_the_browser(api.advance_subscription_clock, sid, days=340)
    cancel()
    page.get_by_role("button", name="Withdraw the cancellation").wait_for()  # scheduled, and can be withdrawn
    look(page, "cancellation-scheduled")

    # transfer of administration to Bea, now a registered contact of the company (R17, R38)
    page.goto(f"/subscriptions/{sid}/administrator")
    look(page, "transfer")
    page.get_by_label(re.compile(re.escape(colleague))).check()
    page.get_by_role("button", name="Transfer the administration").click()
    page.wait_for_load_state("load")
    page.wait_for_url(f"**/subscriptions/{sid}/administrator/transferred")
    look(page, "transferred")
    page.goto(f"/subscriptions/{sid}")
    assert page.locator("h1").inner_text() != "Premium Plus"  # not hers any more: the not-found page


def test_R1_R7_R34_a_french_administrator_buys_and_a_dutch_one_switches_language(stack, open_browser):
    """The same journey in French (the browser's language) and, switched in the page, Dutch."""
    page = open_browser("fr-FR")
    email = an_email("amelie")
    sign_up(page, stack, email, "Société Navigateur", "Amélie Navigateur", shots=False)
    assert page.locator("html").get_attribute("lang") == "fr"
    sign_in(page, email)
    assert page.locator("h1").inner_text() in ("Vos abonnements", "Mes logiciels")
    sid = buy(page, quantity=2, shots=False)
    look(page, "fr-order-confirmed")
    mail = eventually(lambda: mail_to(stack, email, "agreement"), timeout=30, what="the French agreement e-mail")
    assert mail.language == "fr"  # R34: the administrator's language, from the page they registered in
    page.goto(link_in(mail))
    assert page.locator("h1").inner_text() == "Entente de licence"  # the guide's word (« Accepter l'entente »)
    page.locator(f"form[action='/subscriptions/{sid}/agreement'] button[type=submit]").click()
    page.locator("#activation.done").wait_for()
    look(page, "fr-agreement-accepted")

    # switched to Dutch in the page: every page from now on, and the profile remembers it
    page.locator("form.languages button[value=nl]").click()
    page.wait_for_load_state("load")
    assert page.locator("html").get_attribute("lang") == "nl"
    page.goto("/subscriptions")
    assert page.locator("h1").inner_text() == "Uw abonnementen"
    look(page, "nl-subscriptions")
    page.goto("/profile")
    assert page.locator("#locale, select[name=locale]").first.input_value() == "nl"


def test_R1_R7_R8_R22_R23_the_core_journey_works_with_javascript_off(stack, open_browser):
    """No htmx: every form posts and redirects, the activation is followed with the page's
    Refresh link, the import's file goes up as a plain form."""
    page = open_browser("en", javascript=False)
    email = an_email("nojs")
    sign_up(page, stack, email, "Plain Forms Ltd", "Noa Script", shots=False)
    sign_in(page, email)
    sid = buy(page, quantity=2, shots=False)
    page.goto(f"/subscriptions/{sid}/agreement")
    page.locator(f"form[action='/subscriptions/{sid}/agreement'] button[type=submit]").click()

    def activated() -> bool:
        if page.locator("#activation.done").count():
            return True
        page.locator("#activation a").click()  # the Refresh link: the page again, no script
        return False

    eventually(activated, timeout=30, what="the seats unlocked, seen by refreshing")

    page.goto(f"/subscriptions/{sid}/users")
    page.locator("#new-email").fill(an_email("plain"))
    page.locator("#new-first-name").fill("Plain")
    page.locator("#new-last-name").fill("User")
    page.get_by_role("button", name="Add user").click()
    page.get_by_text("The user is added and invited by e-mail.").wait_for()

    page.goto(f"/subscriptions/{sid}/users/import")
    csv = f"email,first_name,last_name\n{an_email('row')},Row,One\n"
    page.locator("#import-file").set_input_files(
        files=[{"name": "users.csv", "mimeType": "text/csv", "buffer": csv.encode()}]
    )
    page.get_by_role("button", name="Upload").click()
    page.wait_for_url(re.compile(r".*/users/import/[^/?]+"))
    page.get_by_role("button", name="Submit import").click()

    def imported() -> bool:
        if page.get_by_text("Users added and invited").count():
            return True
        page.reload()
        return False

    eventually(imported, timeout=30, what="the import done, seen by reloading")
