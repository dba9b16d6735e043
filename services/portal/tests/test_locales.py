"""Four languages: every page in en/fr/nl/de, switched in the page and kept in the session;
dates, numbers and money formatted per locale; every catalogue complete."""

from __future__ import annotations

import re
from datetime import UTC, datetime

import pytest
from babel.messages.pofile import read_po

from portal.adapters.i18n import LOCALES, Formats, from_accept_language, translations

from .conftest import ADA, hidden_fields, subscription

PLACEHOLDER = re.compile(r"%\((\w+)\)s")


@pytest.mark.parametrize(
    ("locale", "money", "number", "date"),
    [
        ("en", "€365.00", "1,200", "January 5, 2027"),
        ("fr", "365,00\u00a0€", "1\u202f200", "5 janvier 2027"),
        ("nl", "€\u00a0365,00", "1.200", "5 januari 2027"),
        ("de", "365,00\u00a0€", "1.200", "5. Januar 2027"),
    ],
)
def test_money_numbers_and_dates_are_written_as_each_language_writes_them(locale, money, number, date):
    formats = Formats(locale)
    assert formats.money(36500, "EUR") == money
    assert formats.decimal(1200) == number
    assert formats.date("2027-01-05T09:00:00Z") == date
    assert formats.date(datetime(2027, 1, 5, 9, tzinfo=UTC)) == date


def test_money_keeps_the_currency_s_own_minor_units():
    assert Formats("en").money(36500, "JPY") == "¥36,500"


@pytest.mark.parametrize("locale", ["fr", "nl", "de"])
def test_every_message_is_translated_with_its_placeholders(locale):
    from importlib.resources import files

    source = files("portal") / "locales" / locale / "LC_MESSAGES" / "portal.po"
    with source.open("rb") as po:
        catalog = read_po(po, locale=locale)
    english = [m for m in catalog if m.id]
    assert len(english) > 50
    for message in english:
        ids = message.id if isinstance(message.id, tuple) else (message.id,)
        strings = message.string if isinstance(message.string, tuple) else (message.string,)
        assert all(strings), (locale, message.id)
        if len(ids) == 1:
            wanted = set(PLACEHOLDER.findall(ids[0]))
            assert all(set(PLACEHOLDER.findall(s)) == wanted for s in strings), (locale, message.id)
        else:  # a plural: a form may leave the number out ("this user"), never name another field
            wanted = set(PLACEHOLDER.findall(ids[0])) | set(PLACEHOLDER.findall(ids[1]))
            assert all(set(PLACEHOLDER.findall(s)) <= wanted for s in strings), (locale, message.id)
            assert set(PLACEHOLDER.findall(strings[-1])) == set(PLACEHOLDER.findall(ids[1])), (locale, message.id)


def test_the_catalogues_are_compiled_when_loaded_with_no_mo_file_needed():
    from importlib.resources import files
    from pathlib import Path

    assert list(Path(str(files("portal"))).glob("locales/*/LC_MESSAGES/*.mo")) == []
    assert translations("fr").gettext("Your subscriptions") == "Vos abonnements"
    assert translations("nl").gettext("Your subscriptions") == "Uw abonnementen"
    assert translations("de").gettext("Your subscriptions") == "Ihre Abonnements"
    assert translations("en").gettext("Your subscriptions") == "Your subscriptions"
    assert translations("fr").ngettext("%(num)s seat", "%(num)s seats", 2) == "%(num)s sièges"


def test_the_browser_s_language_is_the_first_choice_of_a_visitor():
    assert from_accept_language("nl-BE,nl;q=0.9,en;q=0.8") == "nl"
    assert from_accept_language("de-DE") == "de"
    assert from_accept_language("es-ES,pt") == "en"
    assert from_accept_language(None) == "en"


@pytest.mark.parametrize(
    ("locale", "title", "money", "date"),
    [
        ("fr", "Vos abonnements", "365,00\u00a0€", "5 janvier 2027"),
        ("nl", "Uw abonnementen", "€\u00a0365,00", "5 januari 2027"),
        ("de", "Ihre Abonnements", "365,00\u00a0€", "5. Januar 2027"),
    ],
)
async def test_the_language_switched_in_the_page_is_kept_for_every_page(portal, locale, title, money, date):
    portal.fakes.subscriptions["s-1"] = subscription("s-1", ADA, status="pending_activation")
    await portal.sign_in()
    form = hidden_fields((await portal.get("/subscriptions")).text)

    switched = await portal.post(
        "/language", data={"csrf_token": form["csrf_token"], "locale": locale, "next": "/subscriptions"}
    )

    assert switched.status_code == 303 and switched.headers["location"] == "/subscriptions"
    overview = await portal.get("/subscriptions")
    assert f'<html lang="{locale}">' in overview.text
    assert f"<h1>{title}</h1>" in overview.text
    agreement = await portal.get("/subscriptions/s-1/agreement")
    assert money in agreement.text
    assert date in overview.text
    assert 'aria-current="true"' in agreement.text


async def test_a_visitor_s_page_speaks_the_browser_s_language(portal):
    page = await portal.get("/sign-in", headers={"Accept-Language": "de-DE,de;q=0.9"})
    assert '<html lang="de">' in page.text and "<h1>Anmelden</h1>" in page.text


async def test_an_unknown_language_changes_nothing(portal):
    form = hidden_fields((await portal.get("/sign-in")).text)
    await portal.post("/language", data={"csrf_token": form["csrf_token"], "locale": "xx", "next": "/sign-in"})
    assert '<html lang="en">' in (await portal.get("/sign-in")).text


@pytest.mark.parametrize("locale", LOCALES)
async def test_every_page_of_this_increment_renders_in_every_language(portal, locale):
    portal.fakes.subscriptions["s-1"] = subscription("s-1", ADA, status="pending_activation")
    portal.fakes.subscriptions["s-2"] = subscription("s-2", ADA, status="active")
    portal.fakes.pools["s-2"] = "locked"
    form = hidden_fields((await portal.get("/sign-in")).text)
    await portal.post("/language", data={"csrf_token": form["csrf_token"], "locale": locale, "next": "/"})
    for path in ("/sign-in", "/sign-up", "/verifications?token=x", "/nowhere"):
        page = await portal.get(path)
        assert f'<html lang="{locale}">' in page.text, path
    await portal.sign_in()
    for path in ("/subscriptions", "/subscriptions/s-1/agreement", "/subscriptions/s-2/agreement"):
        page = await portal.get(path)
        assert page.status_code == 200, path
        assert f'<html lang="{locale}">' in page.text, path


def test_every_text_the_pages_show_is_in_every_catalogue():
    """What `pybabel extract` finds in the templates and the code (babel.cfg) is translated:
    a new text without its French, Dutch and German would show in English."""
    from importlib.resources import files
    from pathlib import Path

    from babel.messages.extract import extract_from_dir

    root = Path(str(files("portal"))).parent
    method_map = [("portal/**.py", "python"), ("portal/templates/**.html", "jinja2")]
    options = {"portal/templates/**.html": {"trim_blocks": "true", "lstrip_blocks": "true"}}
    found = {
        message if isinstance(message, str) else message[0]
        for _, _, message, _, _ in extract_from_dir(
            str(root), method_map, options, keywords={"_": None, "N_": None, "gettext": None, "ngettext": (1, 2)}
        )
    }
    assert len(found) > 500
    for locale in ("fr", "nl", "de"):
        with (root / "portal" / "locales" / locale / "LC_MESSAGES" / "portal.po").open("rb") as po:
            catalogue = read_po(po, locale=locale)
        missing = sorted(m for m in found if not (catalogue.get(m) and catalogue.get(m).string))
        assert not missing, (locale, missing[:20])
