"""The Georgian catalogue kept complete: what the code asks to translate against what
`caseapp/translations/ka/LC_MESSAGES/messages.po` holds.

`make messages` extracts the strings of the code (templates and Python, `_`, `_l`, `ngettext`) into
`messages.pot`, adds the new ones to the Georgian catalogue and prints what is left to translate;
`tests/test_translations.py` fails on any entry that is untranslated, fuzzy or missing. Run as
`python -m caseapp.language.catalog` to see the list."""

from __future__ import annotations

import functools
import sys
from pathlib import Path

from babel.messages.catalog import Catalog
from babel.messages.extract import extract_from_dir
from babel.messages.mofile import write_mo
from babel.messages.pofile import read_po

REPO_ROOT = Path(__file__).resolve().parents[2]
TRANSLATIONS = REPO_ROOT / "caseapp" / "translations"
#: the keywords the code uses; the same as the Makefile's `pybabel extract -k ...`
KEYWORDS = {"_": None, "gettext": None, "ngettext": (1, 2), "_l": None, "lazy_gettext": None, "lazy_ngettext": (1, 2)}
#: the folders that hold strings and how to read them (as in babel.cfg)
SOURCES = [("caseapp", "**.py", "python"), ("templates", "**.html", "jinja2")]


def catalogue_path(language: str = "ka") -> Path:
    return TRANSLATIONS / language / "LC_MESSAGES" / "messages.po"


@functools.cache
def extracted_msgids() -> frozenset[str]:
    """Every msgid the code and templates ask for (the singular of a plural message); read once."""
    ids = set()
    for folder, pattern, method in SOURCES:
        for _filename, _lineno, message, _comments, _context in extract_from_dir(
            str(REPO_ROOT / folder), method_map=[(pattern, method)], keywords=KEYWORDS, directory_filter=_not_hidden
        ):
            ids.add(message[0] if isinstance(message, tuple) else message)
    ids.discard("")
    return frozenset(ids)


def _not_hidden(path: str) -> bool:
    """Babel skips folders whose name starts with _ unless told otherwise: templates/_macros and
    templates/_partials hold strings too (the Makefile passes --ignore-dirs for the same reason)."""
    return not Path(path).name.startswith(".")


def read_catalogue(language: str = "ka") -> Catalog:
    with catalogue_path(language).open("rb") as po:
        return read_po(po, locale=language)


def catalogue_problems(language: str = "ka") -> dict[str, list[str]]:
    """The msgids that are in the code but not in the catalogue, untranslated, or marked fuzzy."""
    catalogue = read_catalogue(language)
    held = {}
    for message in catalogue:
        if message.id:
            held[message.id[0] if isinstance(message.id, tuple) else message.id] = message
    untranslated, fuzzy = [], []
    for msgid, message in held.items():
        strings = message.string if isinstance(message.string, tuple) else (message.string,)
        if not all(strings):
            untranslated.append(msgid)
        elif message.fuzzy:
            fuzzy.append(msgid)
    missing = sorted(extracted_msgids() - set(held))
    return {"missing": missing, "untranslated": sorted(untranslated), "fuzzy": sorted(fuzzy)}


def compile_catalogues() -> None:
    """Write the .mo file next to each .po that is newer than it (the app reads the .mo files)."""
    for po_path in TRANSLATIONS.glob("*/LC_MESSAGES/messages.po"):
        mo_path = po_path.with_suffix(".mo")
        if mo_path.exists() and mo_path.stat().st_mtime >= po_path.stat().st_mtime:
            continue
        with po_path.open("rb") as po:
            catalogue = read_po(po, locale=po_path.parent.parent.name)
        with mo_path.open("wb") as mo:
            write_mo(mo, catalogue)


def main() -> int:
    problems = catalogue_problems()
    for kind, msgids in problems.items():
        for msgid in msgids:
            print(f"{kind}: {msgid!r}")
    total = sum(len(msgids) for msgids in problems.values())
    print(
        f"{catalogue_path().relative_to(REPO_ROOT)}: "
        + ("complete" if not total else ", ".join(f"{len(v)} {k}" for k, v in problems.items()))
    )
    return 1 if total else 0


if __name__ == "__main__":
    sys.exit(main())
