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


# The owning services' refusals a person meets on these pages, in the person's language; any
# other is shown with the service's own message.
PROBLEMS = {
    "bad_credentials": N_("The e-mail address or the password is wrong."),
    "too_many_sign_in_attempts": N_("Too many attempts. Wait a few minutes, then try again."),
    "rate_limited": N_("Too many attempts. Wait a few minutes, then try again."),
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
    "activation_window_closed": N_(
        "The 90 days to accept this agreement are over: the order has lapsed. Place a new order."
    ),
    "invalid_request": N_("Some fields are not valid. Check them and try again."),
    "unavailable": N_("The service is not available right now. Try again in a moment."),
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
