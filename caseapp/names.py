"""Names in Georgian and Latin script: the national romanisation of Georgian and one search key per name.

Plain functions, no Flask, no database: search, the registration duplicate warning and the duplicate
finder all compare names through `name_key`, so "კაპანაძე", "Kapanadze" and "K'apanadze" are one key.

`romanise` is the national system of 2002 (Government of Georgia, used in passports and on road signs):
ejectives carry an apostrophe (კ k', პ p', ტ t', წ ts', ჭ ch', ყ q'); letters of other scripts are kept.

`name_key` is what is compared: romanised, lower case, apostrophes dropped, accents folded, and the
spellings people and other countries' documents use for the same Georgian sound brought to one form:

    ş š ș  -> sh       č ç tch tsch -> ch      ž -> zh       ğ -> gh      x -> kh
    c (not before h), tz -> ts                 dj, dzh -> j  w -> v       y -> i
    ph -> p, th -> t (older "aspirated" spellings)           sch -> sh (German)
    a double letter -> one letter ("Abbashidze" = "Abashidze"); word-final German "dse" -> "dze",
    word-final Slavic "ija" -> "ia" ("Šengelija" = "Shengelia")

Known limits (deliberate, a key must not join different people too eagerly): "ch" is never read as
ხ (German "Wachtang"), "q" is not folded into "k", and a Latin "x" is always ხ, so "Alexandre" does not
meet "ალექსანდრე" (the national spelling "Aleksandre" does).
"""

from __future__ import annotations

import re
import unicodedata

#: the national romanisation of the 33 letters of the modern Georgian alphabet (Mkhedruli)
GEORGIAN_TO_LATIN: dict[str, str] = {
    "ა": "a",
    "ბ": "b",
    "გ": "g",
    "დ": "d",
    "ე": "e",
    "ვ": "v",
    "ზ": "z",
    "თ": "t",
    "ი": "i",
    "კ": "k'",
    "ლ": "l",
    "მ": "m",
    "ნ": "n",
    "ო": "o",
    "პ": "p'",
    "ჟ": "zh",
    "რ": "r",
    "ს": "s",
    "ტ": "t'",
    "უ": "u",
    "ფ": "p",
    "ქ": "k",
    "ღ": "gh",
    "ყ": "q'",
    "შ": "sh",
    "ჩ": "ch",
    "ც": "ts",
    "ძ": "dz",
    "წ": "ts'",
    "ჭ": "ch'",
    "ხ": "kh",
    "ჯ": "j",
    "ჰ": "h",
}
_GEORGIAN_TABLE = str.maketrans(GEORGIAN_TO_LATIN)

#: Latin letters with a mark that stand for a Georgian digraph (Turkish, Czech/Slovak, Azerbaijani ...)
_LATIN_LETTERS = str.maketrans(
    {
        "ş": "sh",
        "š": "sh",
        "ș": "sh",
        "č": "ch",
        "ç": "ch",
        "ž": "zh",
        "ğ": "gh",
        "ǯ": "j",
        "x": "kh",
        "w": "v",
        "y": "i",
        "ı": "i",
    }
)
#: apostrophes and look-alikes (ejective marks) are dropped; other punctuation separates words
_APOSTROPHES = re.compile(r"['’ʼ‘`´ʻ]")
_SEPARATORS = re.compile(r"[^\w ]|_")
#: spellings of one sound, in the order they must be applied (longest first)
_VARIANTS = [
    (re.compile(r"tsch"), "ch"),
    (re.compile(r"tch"), "ch"),
    (re.compile(r"sch"), "sh"),
    (re.compile(r"dzh"), "j"),
    (re.compile(r"dj"), "j"),
    (re.compile(r"tz"), "ts"),
    (re.compile(r"c(?!h)"), "ts"),
    (re.compile(r"ph"), "p"),
    (re.compile(r"th"), "t"),
    (re.compile(r"dse\b"), "dze"),
    (re.compile(r"ija\b"), "ia"),
    (re.compile(r"(\w)\1+"), r"\1"),
]


def romanise(text: str) -> str:
    """The national romanisation of the Georgian letters in `text` (other characters unchanged).

    Mtavruli capitals (Ა Ბ ...) are read as their Mkhedruli letters; the first Latin letter of a word that
    was Georgian is not capitalised (Georgian has no case)."""
    text = "".join(_mkhedruli(ch) for ch in unicodedata.normalize("NFC", text))
    return text.translate(_GEORGIAN_TABLE)


def _mkhedruli(ch: str) -> str:
    if "\u1c90" <= ch <= "\u1cbf":  # Mtavruli: the capital forms, one-to-one with Mkhedruli
        return chr(ord(ch) - 0x1C90 + 0x10D0)
    return ch


def name_key(text: str) -> str:
    """The comparison key of a name or of a search: equal keys mean "the same name, whatever the script
    and spelling". Only lower-case letters, digits and single spaces remain."""
    text = romanise(unicodedata.normalize("NFKC", text or "")).casefold()
    text = text.translate(_LATIN_LETTERS)
    text = _APOSTROPHES.sub("", text)
    # accents off: é -> e, ü -> u (the letters above that stand for two were replaced first)
    text = "".join(c for c in unicodedata.normalize("NFD", text) if not unicodedata.combining(c))
    text = _SEPARATORS.sub(" ", text).translate(_LATIN_LETTERS)
    words = []
    for word in text.split():
        for pattern, replacement in _VARIANTS:
            word = pattern.sub(replacement, word)
        words.append(word)
    return " ".join(words)


def person_keys(first_name: str, last_name: str, length: int | None = None) -> tuple[str, str]:
    """The keys of a person's name in both orders, "first last" and "last first": a search for a prefix
    of either finds the person by first name, by last name or by both in either order."""
    first, last = name_key(first_name), name_key(last_name)
    forward, backward = f"{first} {last}".strip(), f"{last} {first}".strip()
    if length is not None:
        forward, backward = forward[:length], backward[:length]
    return forward, backward


def prefix_bounds(key: str) -> tuple[str, str]:
    """[low, high) such that low <= value < high holds exactly for the strings that start with `key`
    (in binary or "C" collation), for an index range scan; `key` must not be empty."""
    return key, key[:-1] + chr(ord(key[-1]) + 1)
