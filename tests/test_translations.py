"""The Georgian catalogue is complete: every string the code shows has a reviewed Georgian text.

When this fails after adding or changing strings: `make messages` adds them to
caseapp/translations/ka/LC_MESSAGES/messages.po and lists them; translate them (caseapp/translations/GLOSSARY.md),
remove any `#, fuzzy` mark once the text is checked, and run the tests again."""

from __future__ import annotations

import pytest

from caseapp.language.catalog import catalogue_problems, extracted_msgids, read_catalogue


@pytest.fixture(scope="module")
def problems():
    return catalogue_problems("ka")


def test_every_string_of_the_code_is_in_the_georgian_catalogue(problems):
    assert problems["missing"] == [], "run `make messages` and translate the new entries"


def test_no_georgian_entry_is_left_untranslated(problems):
    assert problems["untranslated"] == []


def test_no_georgian_entry_is_fuzzy(problems):
    assert problems["fuzzy"] == [], "check these translations and remove their `#, fuzzy` mark"


def test_georgian_texts_keep_every_placeholder_of_the_english():
    errors = [(message.id, [str(e) for e in found]) for message, found in read_catalogue("ka").check()]
    assert errors == []


def test_extraction_finds_templates_python_lazy_strings_and_plurals():
    ids = extracted_msgids()
    assert "Log in" in ids  # a template
    assert "Invalid username or password." in ids  # gettext in Python
    assert "Please log in to see this page." in ids  # lazy_gettext (_l)
    assert "%(num)s matching returnee" in ids  # ngettext in a template


def test_georgian_catalogue_has_one_plural_form_as_babel_defines_for_ka():
    # Georgian nouns stay singular after a numeral ("5 ჩანაწერი"), so one form serves every count.
    assert read_catalogue("ka").num_plurals == 1


def test_no_translated_string_hides_inside_an_f_string():
    """Babel's extractor does not look inside f-strings: `f"{_('Period')}: ..."` would never be translated."""
    import re
    from pathlib import Path

    import caseapp

    inside = re.compile(r"""\bf(["'])[^\n]*?\{\s*(_|ngettext|gettext)\(""")
    hidden = [
        f"{path.name}:{number}"
        for path in Path(caseapp.__file__).parent.rglob("*.py")
        for number, line in enumerate(path.read_text(encoding="utf-8").splitlines(), 1)
        if inside.search(line)
    ]
    assert hidden == []
