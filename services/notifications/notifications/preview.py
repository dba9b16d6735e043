"""Preview an e-mail in any language, rendered with the sample facts the tests use.

    python -m notifications.preview                      lists the templates
    python -m notifications.preview agreement --locale fr
    python -m notifications.preview invoice_issued --locale de --html
"""
from __future__ import annotations

import argparse
import sys

from notifications.domain import LOCALES, EmailRequest, emails_for
from notifications.rendering import render
from notifications.samples import every_event


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
    parser = argparse.ArgumentParser(prog="python -m notifications.preview", description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
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
