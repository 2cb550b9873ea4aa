"""The cached formatting of caseapp/formats.py gives Flask-Babel's texts, in the page's language and time
zone, and nothing of one request or language leaks into another."""

import threading
from datetime import date, datetime
from decimal import Decimal

import flask_babel
import pytest
from babel.dates import get_datetime_format
from flask import render_template_string
from flask_babel import force_locale

from caseapp import create_app, formats
from caseapp.cases.models import CaseStatus
from caseapp.language.vocabulary import forget_custom_names
from caseapp.returnees.models import Sex, Vulnerability
from caseapp.ui import label, localdate, localdatetime, money

DAYS = [date(2024, 3, 5), date(2026, 12, 31), date(1985, 5, 17), date(2000, 1, 1)]
FORMATS = ["medium", "long", "short", "full", "MMM yyyy", "d MMMM"]
NUMBERS = [0, 7, 1234, 1234567, -52, 1, 1.0, 1.5, Decimal("1.50"), Decimal("1.5"), Decimal("1234567.891")]


def test_dates_are_flask_babels_in_english_and_georgian(app):
    for language in ("en", "ka", "en", "ka"):  # back and forth: each text from the cache is still right
        with app.test_request_context(), force_locale(language):
            for day in DAYS:
                for fmt in FORMATS:
                    assert formats.format_date(day, fmt) == flask_babel.format_date(day, fmt), (language, day, fmt)
                assert localdate(day) == flask_babel.format_date(day, "medium")


def test_switching_language_switches_the_text(app):
    with app.test_request_context():
        with force_locale("en"):
            assert localdate(date(2024, 3, 5)) == "Mar 5, 2024"
            assert formats.format_decimal(1234567) == "1,234,567"
        with force_locale("ka"):
            georgian = localdate(date(2024, 3, 5))
            assert "მარ" in georgian and georgian != "Mar 5, 2024"
            assert formats.format_decimal(1234567) == flask_babel.format_decimal(1234567) != "1,234,567"
        with force_locale("en"):
            assert localdate(date(2024, 3, 5)) == "Mar 5, 2024"


def test_numbers_are_flask_babels_whatever_their_type(app):
    """1, 1.0, Decimal('1.5') and Decimal('1.50') are equal keys for a cache: each keeps its own text."""
    for language in ("en", "ka", "en"):
        with app.test_request_context(), force_locale(language):
            for number in NUMBERS + list(reversed(NUMBERS)):
                assert formats.format_decimal(number) == flask_babel.format_decimal(number), (language, number)
                assert formats.format_decimal(number, "#,##0.00") == flask_babel.format_decimal(number, "#,##0.00")
            assert money(Decimal("1500.5"), "GEL") == f"{flask_babel.format_decimal(Decimal('1500.5'), '#,##0.00')} GEL"


def test_no_language_leaks_from_one_request_into_the_next(app):
    day = date(2024, 3, 5)
    texts = {}
    for language in ("ka", "en", "ka", "en"):
        with app.test_request_context(headers={"Accept-Language": language}):
            texts.setdefault(language, set()).add(
                (localdate(day), label(CaseStatus.CLOSED), formats.format_decimal(1234567))
            )
            assert flask_babel.get_locale().language == language
            assert localdate(day) == flask_babel.format_date(day)
            assert label(Sex.FEMALE) == str(Sex.FEMALE.label)
    assert len(texts["ka"]) == len(texts["en"]) == 1  # the same page text each time
    assert texts["ka"] != texts["en"]


def test_requests_in_two_languages_at_once_each_get_their_own(app):
    """Threads serving a Georgian and an English page at the same time (gunicorn with threads)."""
    day = date(2024, 3, 5)
    with app.test_request_context(), force_locale("en"):
        expected = {"en": (flask_babel.format_date(day), str(CaseStatus.OPEN.label))}
    with app.test_request_context(), force_locale("ka"):
        expected["ka"] = (flask_babel.format_date(day), str(CaseStatus.OPEN.label))
    wrong = []

    def serve(language):
        for _ in range(300):
            with app.test_request_context(headers={"Accept-Language": language}):
                got = (localdate(day), label(CaseStatus.OPEN))
                if got != expected[language]:
                    wrong.append((language, got))

    threads = [threading.Thread(target=serve, args=(language,)) for language in ("ka", "en", "ka", "en")]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert wrong == []


@pytest.fixture
def utc_app(app):
    """The same app with another time zone setting."""
    return create_app(
        {
            "TESTING": True,
            "SECRET_KEY": "x",
            "SQLALCHEMY_DATABASE_URI": app.config["SQLALCHEMY_DATABASE_URI"],
            "BABEL_DEFAULT_TIMEZONE": "UTC",
        }
    )


def test_moments_follow_the_time_zone_setting(app, utc_app):
    moment = datetime(2026, 1, 1, 22, 30)  # stored as naive UTC: already 2 January in Tbilisi (UTC+4)
    for _ in range(2):  # twice each: the second text comes from the cache
        with app.test_request_context(), force_locale("en"):
            assert app.config["BABEL_DEFAULT_TIMEZONE"] == "Asia/Tbilisi"
            assert localdatetime(moment) == "Jan 2, 2026, 2:30\u202fAM"
            assert localdate(moment) == "Jan 2, 2026" == flask_babel.format_date(moment)
            assert localdatetime(moment, "yyyy-MM-dd HH:mm") == flask_babel.format_datetime(moment, "yyyy-MM-dd HH:mm")
        with utc_app.test_request_context(), force_locale("en"):
            assert localdatetime(moment) == "Jan 1, 2026, 10:30\u202fPM"
            assert localdate(moment) == "Jan 1, 2026" == flask_babel.format_date(moment)
            assert localdatetime(moment, "yyyy-MM-dd HH:mm") == "2026-01-01 22:30"


def test_moments_are_flask_babels_in_both_languages(app):
    moments = [datetime(2026, 11, 25, 15, 27), datetime(2024, 3, 31, 0, 5), datetime(2024, 10, 27, 23, 59)]
    for language in ("ka", "en"):
        with app.test_request_context(), force_locale(language):
            for moment in moments:
                pattern = get_datetime_format("medium", locale=flask_babel.get_locale())
                expected = pattern.replace("{1}", flask_babel.format_date(moment, "medium")).replace(
                    "{0}", flask_babel.format_time(moment, "short")
                )
                assert localdatetime(moment) == expected
                assert localdatetime(moment, "long") == flask_babel.format_datetime(moment, "long")


def test_page_locale_is_where_flask_babel_keeps_it(app):
    assert formats.page_locale() is None  # no app at all
    with app.app_context():
        assert formats.page_locale() == flask_babel.get_locale()  # a command: the default
    with app.test_request_context(headers={"Accept-Language": "ka"}):
        assert str(formats.page_locale()) == "ka" == str(flask_babel.get_locale())
        with force_locale("en"):
            assert str(formats.page_locale()) == "en" == formats.page_locale_key()
        assert formats.page_locale_key() == "ka"
        assert formats.page_timezone() == flask_babel.get_timezone()


def test_a_choice_renamed_during_a_request_shows_its_new_name(app, make):
    from caseapp.admin.services import rename_choice
    from caseapp.auth.models import Role

    admin = make.user(Role.ADMIN, None)
    choice = Vulnerability.DISABILITY
    with app.test_request_context(), force_locale("en"):
        before = label(choice)
        assert before == label(choice)  # kept for the request
        rename_choice(admin, "vulnerability", choice.value, name="Living with a disability", name_ka="")
        assert label(choice) == "Living with a disability"
        with force_locale("ka"):
            assert label(choice) == str(choice.default_label)  # no Georgian name given: the default one
        forget_custom_names()
        assert label(choice) == "Living with a disability"


def test_labels_of_two_choice_lists_with_the_same_code_are_kept_apart(app):
    from caseapp.assistance.models import AssistanceStatus

    with app.test_request_context(), force_locale("en"):
        assert label(CaseStatus.OPEN) == str(CaseStatus.OPEN.label)
        assert label(AssistanceStatus.DELIVERED) == str(AssistanceStatus.DELIVERED.label)
        assert label(None) == "" and label("as is") == "as is"


def test_templates_translate_escape_and_fill_in_as_jinja_does(app):
    with app.test_request_context(), force_locale("ka"):
        text = render_template_string(
            "{{ _('Returnees') }}|{{ _('Showing %(shown)s of %(total)s.', shown='<b>', total=3) }}"
        )
        assert text == (
            flask_babel.gettext("Returnees")
            + "|"
            + flask_babel.gettext("Showing %(shown)s of %(total)s.", shown="&lt;b&gt;", total=3)
        )
        plural = render_template_string("{{ ngettext('%(num)s matching returnee', '%(num)s matching returnees', 2) }}")
        assert plural == flask_babel.ngettext("%(num)s matching returnee", "%(num)s matching returnees", 2)
        # inside a loop and after a block-level set: the calls that used to copy the context
        looped = render_template_string(
            "{% set x = 1 %}{% for n in [1, 2] %}{{ _('Returnees') }}{{ gettext('Returnees') }}{% endfor %}"
        )
        assert looped == flask_babel.gettext("Returnees") * 4
        raw = render_template_string("{% autoescape false %}{{ _('%(x)s', x='<b>') }}{% endautoescape %}")
        assert raw == "<b>"
