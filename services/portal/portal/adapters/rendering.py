"""The pages' HTML: jinja2 templates under `portal/templates/`, autoescaped, each rendered in
one locale with its messages (`_`) and formats (`fmt`)."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from jinja2 import Environment, PackageLoader, StrictUndefined, select_autoescape

from portal.adapters.i18n import LANGUAGE_NAMES, LOCALES, Formats, translations
from portal.adapters.upstream import UpstreamProblem

HTMX_FILE = "htmx-4.0.1.min.js"  # vendored from npm htmx.org@4.0.1 (portal/static/VERSION)


def N_(message: str) -> str:  # noqa: N802 - gettext's name for "translated where shown"
    return message


# Every refusal a person meets on the pages, in the person's language: the owning services'
# codes and the portal's own (`portal.api.forms.refusal`); any other is shown with the
# service's own message. One code, one wording, whichever page shows it.
PROBLEMS = {
    # identity: signing in, registering, links, the company and its contacts (R1-R5)
    "bad_credentials": N_("The e-mail address or the password is wrong."),
    "too_many_sign_in_attempts": N_("Too many attempts. Wait a few minutes, then try again."),
    "rate_limited": N_("Too many attempts. Wait a few minutes, then try again."),
    "password_resets_per_client_exceeded": N_("Too many attempts. Wait a few minutes, then try again."),
    "weak_password": N_(
        "Choose a stronger password: at least 10 characters, mixing three of lower case, upper case, digits "
        "and symbols."
    ),
    "invalid_email": N_("This is not an e-mail address."),
    "email_not_verified": N_("Verify your e-mail address first: open the link we sent you."),
    "terms_not_accepted": N_("Accept the terms of use to register."),
    "link_already_used": N_("This link was already used: your e-mail address is verified, you can sign in."),
    "link_replaced": N_("A newer link was sent to you: use the latest one."),
    "link_expired": N_("This link has expired: links work for 48 hours. Register again to get a new one."),
    "link_not_found": N_("This link is not valid."),
    "reset_link_used": N_("This link was already used. Ask for a new one if you still need to change your password."),
    "reset_link_replaced": N_("A newer link was sent to you: use the latest one."),
    "reset_link_expired": N_("This link has expired: links work for one hour. Ask for a new one."),
    "reset_link_not_found": N_("This link is not valid. Ask for a new one."),
    "name_required": N_("Enter your name."),
    "contact_exists": N_("This e-mail address is already a contact of the company."),
    "contact_details_missing": N_("A colleague needs a first and a last name."),
    "not_an_administrator": N_("Only an administrator of the company can add colleagues."),
    "not_a_member": N_("You are no longer a contact of this company."),
    "no_account": N_("You are not a contact of any company yet."),
    # subscriptions: buying, trials, the agreement, managing (R7-R20, R35, R37, R49)
    "activation_window_closed": N_(
        "The 90 days to accept this agreement are over: the order has lapsed. Place a new order."
    ),
    "trial_already_used": N_("Your company already had its free trial of this product: buy a subscription instead."),
    "no_trial": N_("This product offers no free trial."),
    "not_trialing": N_("This subscription is not a running trial any more."),
    "fixed_term_out_of_range": N_("A fixed term ends between 30 days and 5 years from today: choose another date."),
    "term_end_required": N_("A fixed term needs the date it ends."),
    "term_end_for_fixed_term_only": N_("Only a fixed term takes an end date."),
    "card_number_refused": N_("Never enter a card number: describe the payment method, e.g. “Visa ending 4242”."),
    "not_self_service": N_("This tier is sold by our sales team: contact them."),
    "terms_of_sale_not_accepted": N_("Accept the terms of sale to place the order."),
    "unknown_country": N_("Give the country as its two-letter code, such as FR."),
    "invalid_vat_number": N_(
        "This is not a valid VAT number for the country of the billing address: check it, such as "
        "FR40303265045 for a French company."
    ),
    "licence_type_not_offered": N_("This product is not sold with this licence type."),
    "project_required": N_("This product is ordered through a reseller project."),
    "outside_cancellation_window": N_("An annual subscription can be cancelled only in the last month of its term."),
    "already_cancelled": N_("A cancellation is already scheduled."),
    "no_cancellation": N_("No cancellation is scheduled."),
    "term_over": N_("The term is over."),
    "reason_required": N_("Choose why you cancel."),
    "outside_cycle_change_window": N_("Annual to monthly is possible only in the last month of the annual term."),
    "same_cycle": N_("The next term is already billed that way."),
    "fixed_term_cycle_change": N_("A fixed term has no billing cycle to change."),
    "cancellation_scheduled": N_("A cancellation is scheduled: withdraw it first."),
    "same_administrator": N_("That person is already the administrator."),
    "not_a_company_contact": N_("That person is not a contact of your company: add them first."),
    "contact_not_registered": N_(
        "This contact has not registered yet. They have been invited by e-mail: hand over the "
        "administration once they have registered."
    ),
    "addon_already_added": N_("This add-on is already part of the subscription."),
    # R20: add-ons only once the base subscription's invoices are paid
    "base_not_paid": N_("An invoice of this subscription is still unpaid: add-ons can be ordered once it is paid."),
    "amendment_not_open": N_("This amendment can no longer be accepted: it was accepted or replaced."),
    "downgrade_not_allowed": N_("Software assurance can only be upgraded: Standard, Premium, Premium Plus."),
    "same_tier": N_("That is already the tier of the subscription."),
    "unknown_tier": N_("This product is not sold in that tier."),
    "unknown_addon": N_("This add-on is not offered for this product."),
    # seats: quantity, users, imports, keys (R21-R27)
    "quantity_unchanged": N_("That is already the quantity in force."),
    "quantity_too_small": N_("Keep at least one seat; to stop, cancel the subscription."),
    "decrease_below_assigned": N_("More seats are assigned than that: remove users first, then reduce the quantity."),
    "trial_has_one_seat": N_("A trial has one seat: buy the tier to choose the quantity."),
    "no_free_seat": N_(
        "There are not enough free seats for this. Add seats to the subscription or unassign users first."
    ),
    "seats_locked": N_("Seats are locked until the agreement is accepted and the subscription is active."),
    "seats_unavailable": N_("This subscription has ended: its seats are no longer available."),
    "invalid_users": N_(
        "This user cannot be added: check the e-mail address and both names, and that the address "
        "is not already in the list."
    ),
    "already_assigned": N_("One of the selected users already has a seat."),
    "not_assigned": N_("One of the selected users has no seat to free."),
    "already_registered": N_("One of the selected users has already registered: they need no invitation."),
    "nobody_to_invite": N_("Nobody is waiting for an invitation: every user has registered."),
    "too_many_recipients": N_("Too many users at once: select at most 1,000."),
    "user_not_found": N_("One of the selected users is no longer in the list. Reload the page."),
    "unreadable_import": N_(
        "This file cannot be read. Use the template: a .csv or .xlsx file with the columns email, first_name "
        "and last_name."
    ),
    "import_too_large": N_("This file is too large: at most 50,000 rows and 10 MB. Split it into several imports."),
    "empty_import": N_("The file has no rows under its header."),
    "import_incomplete": N_("Some rows still need correcting: correct them, then submit the import."),
    "import_submitted": N_("This import was already submitted: it can no longer be changed."),
    "key_not_active": N_("This key is not active on any device any more."),
    "wrong_licence_type": N_("This subscription's seats are not node-locked."),
    "device_resets_exceeded": N_(
        "You have freed your devices as often as allowed in 30 days. Ask your subscription's administrator to "
        "free this one, or try again later."
    ),
    "device_reset_by_administrator": N_("Only your subscription's administrator can free this device: ask them."),
    # billing (R31, R32, issue 15)
    "invalid_cursor": N_("This list has changed since: start again from the newest invoices."),
    "download_too_large": N_("This file is too large to download from the portal. Contact us to receive it."),
    # billing: the SEPA Direct Debit mandate (issue 15, item 5), each shown next to its field
    "debtor_name_invalid": N_("Enter the account holder's name as on the mandate, at most 70 characters."),
    "iban_invalid": N_(
        "This is not a valid IBAN. Copy it from a bank statement, with its country code, such as "
        "FR76 3000 6000 0112 3456 7890 189."
    ),
    "iban_not_sepa": N_("This bank account is not in a SEPA country: it cannot be debited. Pay by bank transfer."),
    "bic_invalid": N_("This is not a valid BIC: 8 or 11 letters and digits, such as BNPAFRPP. Or leave it empty."),
    "mandate_reference_invalid": N_(
        "A mandate reference has 1 to 35 letters, digits, spaces and + ? / - : ( ) . , ' with no space or / "
        "at either end. Or leave it empty: one is made for you."
    ),
    "mandate_reference_taken": N_(
        "This mandate reference is already used by another mandate. A new mandate needs a new reference: "
        "change it, or leave it empty and one is made for you."
    ),
    "signed_in_future": N_("The date of signature cannot be in the future."),
    "sepa_mandate_not_found": N_("No direct-debit mandate is active any more: there is nothing to revoke."),
    # any service
    "idempotency_key_reused": N_("This form was already sent with other choices. Reload the page and try again."),
    "invalid_request": N_("Some fields are not valid. Check them and try again."),
    "unavailable": N_("The service is not available right now. Try again in a moment."),
    # the portal's own checks, before any service is asked
    "quantity_invalid": N_("Enter a whole number of seats, from 1 to 100,000."),
    "tier_invalid": N_("Choose a tier from the list."),
    "nothing_changes": N_("Change the tier, the quantity or both."),
    "reason_invalid": N_("Choose a reason from the list."),
    "detail_too_long": N_("Say it in 500 characters or fewer, on one line."),
    "cycle_invalid": N_("Choose monthly or annual."),
    "addon_invalid": N_("Choose an add-on from the list."),
    "po_too_long": N_("The purchase-order number has at most 100 characters, on one line."),
    "payment_too_long": N_("The payment method has at most 200 characters, on one line."),
    "contact_required": N_("Choose a contact, or add a new one."),
    "new_contact_invalid": N_("For a new contact, enter an e-mail address, a first name and a last name."),
    "not_a_company_administrator": N_(
        "Only an administrator of your company can add a contact: ask them, or choose a contact from the list."
    ),
    "nothing_selected": N_("Select at least one user."),
    "email_required": N_("Enter the user's e-mail address."),
    "email_invalid": N_("This is not an e-mail address."),
    "user_name_required": N_("Enter the user's first name and last name."),
    "text_too_long": N_("A name is at most 200 characters."),
    "licence_required": N_("Choose the licence to assign."),
    "file_missing": N_("Choose a file to upload."),
    "file_type": N_("Send a .csv or .xlsx file."),
    "file_too_large": N_("This file is larger than 10 MB. Split it into several imports."),
    "row_too_long": N_("An e-mail address has at most 320 characters, a name at most 200."),
    "invitation_email_missing": N_("Enter the e-mail address the invitation was sent to."),
    "invitation_name_missing": N_("Enter your first and last name (at most 200 characters)."),
    "password_missing": N_("Choose a password."),
    "password_too_long": N_("This password is too long: at most 1,000 characters."),
    "registered_without_company": N_(
        "You are registered, but no company has added you as a contact yet: ask your administrator "
        "to add you, then sign in."
    ),
    # account verification documents (R3, R44)
    "document_type_not_accepted": N_("The file must be a PDF, JPEG or PNG document."),
    "document_too_large": N_("The file is larger than 10 MB. Scan it at a lower resolution."),
    "document_empty": N_("The file is empty. Choose the scanned document."),
    "issue_date_missing": N_("Enter the date the extract was issued."),
    "issue_date_invalid": N_("Enter the issue date as a date, such as 2026-11-30."),
    "document_too_old": N_("The company register extract must be less than 3 months old. Request a recent one."),
    "document_not_required": N_(
        "This document is not required for your type of customer. Choose the type of customer first."
    ),
    "document_already_accepted": N_("This document was already accepted."),
    "account_already_verified": N_("Your company is already verified: no documents are needed."),
    "account_withdrawn": N_("This company was withdrawn."),
    "customer_type_missing": N_("Choose the type of customer."),
}

# What is wrong with one field of a form, shown next to it (`_field_error.html`).
FIELD_PROBLEMS = {
    "required": N_("Fill in this field."),
    "too_long": N_("This is too long."),
    "one_line": N_("Write this on one line."),
    "quantity": N_("Enter a whole number of seats from 1 to 100,000."),
    "choice": N_("Choose one of the options."),
    "date": N_("Enter a date, such as 2027-06-30."),
    "email": N_("This is not an e-mail address."),
    "terms": N_("Accept the terms of sale to place the order."),
    "contact_email": N_("Enter an e-mail address, at most 254 characters."),
    "first_name": N_("Enter a first name, at most 100 characters."),
    "last_name": N_("Enter a last name, at most 100 characters."),
    "locale": N_("Choose one of the languages offered."),
}


def problem_text(problem: UpstreamProblem, gettext: Callable[[str], str]) -> str:
    known = PROBLEMS.get(problem.code)
    return gettext(known) if known else problem.message


class Templates:
    def __init__(self) -> None:
        self.env = Environment(
            loader=PackageLoader("portal", "templates"),
            autoescape=select_autoescape(default=True, default_for_string=True),
            undefined=StrictUndefined,
            trim_blocks=True,
            lstrip_blocks=True,
        )

    def render(self, name: str, locale: str, **context: Any) -> str:
        catalogue = translations(locale)
        return self.env.get_template(name).render(
            _=catalogue.gettext,
            ngettext=catalogue.ngettext,
            fmt=Formats(locale),
            locale=locale,
            locales=LOCALES,
            language_names=LANGUAGE_NAMES,
            htmx_file=HTMX_FILE,
            problem_text=lambda problem: problem_text(problem, catalogue.gettext),
            **context,
        )
