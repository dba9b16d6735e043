"""Preview an e-mail in any language, rendered with the facts of a sample story (R34).

    entitle preview                               lists the templates
    entitle preview agreement --locale fr
    entitle preview invoice_issued --locale de --html

The samples are contracts.testing's: one subscription's story (purchase, activation, an
amendment, a transfer, seats, an invoice, grace, a cancellation), a trial that fell back, a
reseller order awaiting approval, and identity's e-mails; every recipient writes `locale`.
"""

from __future__ import annotations

import argparse
import sys

from contracts import testing
from contracts.envelope import Event
from contracts.testing import ADA, BOB, UMA, SubscriptionStory
from contracts.values import LicenceType, Software
from notifications.adapters.rendering import render
from notifications.domain.emails import LOCALES, EmailRequest, emails_for


def every_event(locale: str = "en") -> list[Event]:
    """One event of each kind that causes e-mails, to recipients of `locale`."""
    ada, bob, uma = (person.model_copy(update={"locale": locale}) for person in (ADA, BOB, UMA))
    story = SubscriptionStory(administrator=ada)
    trial = SubscriptionStory(subscription_id="s-trial", administrator=ada)
    trial.trial_started()
    reseller = ada.model_copy(update={"person_id": "p-rex", "email": "rex@example.com", "name": "Rex"})
    return [
        story.purchased(),
        story.activated(),
        story.amendment_proposed(),
        story.user_invited(uma),
        story.user_invited(uma, resend=True),
        story.seat_assigned(  # R41: the licence e-mail of a node-locked desktop seat
            uma,
            product=story.product,
            licence_type=LicenceType.NODE_LOCKED,
            software=Software(
                kind="desktop",
                start_url="https://designer.example.com/",
                download_url="https://downloads.example.com/designer-setup.exe",
            ),
            activation_key="AB12-CD34-EF56-7890",
            name=uma.name,
            locale=locale,
        ),
        story.seat_unassigned(uma),
        story.invoice_issued(),
        story.administrator_transferred(bob),
        story.grace_started(),
        story.cancellation_scheduled(),
        story.seats_deprovisioned(),
        trial.trial_ended(),
        testing.order_awaiting_approval(reseller=reseller),
        testing.verification_email_requested(person=uma),
        testing.contact_added(contact=bob, added_by=ada),
        testing.account_verification_lapsed(administrator=ada),
        testing.registration_attempted(person=ada),
        testing.password_reset_requested(person=ada),
        testing.payment_reminder_due(administrator=ada, language=locale),  # issue 15: dunning
        testing.subscriptions_suspended(administrator=ada, language=locale),
        testing.subscriptions_reinstated(administrator=ada, language=locale),
    ]


def sample_requests(locale: str) -> dict[str, EmailRequest]:
    """One request per template, from the sample events, for a recipient of `locale`."""
    found: dict[str, EmailRequest] = {}
    for event in every_event(locale):
        for request in emails_for(event, "sample-event"):
            found.setdefault(request.template, request)
    return found


def preview(template: str, locale: str, html: bool = False) -> str:
    request = sample_requests(locale)[template]
    email = render(template, locale, request.facts)
    return f"Subject: {email.subject}\n\n{email.html if html else email.text}\n"


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        prog="entitle preview", description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("template", nargs="?", help="which e-mail; none lists them")
    parser.add_argument("--locale", default="en", choices=LOCALES)
    parser.add_argument("--html", action="store_true", help="the HTML part instead of the plain text")
    args = parser.parse_args(argv)
    templates = sorted(sample_requests(args.locale))
    if args.template is None:
        print("\n".join(templates))
        return 0
    if args.template not in templates:
        print(f"no template {args.template!r}; one of: {', '.join(templates)}", file=sys.stderr)
        return 2
    sys.stdout.write(preview(args.template, args.locale, args.html))
    return 0


if __name__ == "__main__":
    sys.exit(main())
