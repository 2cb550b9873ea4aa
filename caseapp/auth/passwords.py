"""What makes a password acceptable (OWASP ASVS 2.1): long enough, not too long to hash, no composition
rules, and not easy to guess. Guessability is judged by zxcvbn (common passwords, dictionary words,
names, keyboard patterns, repeats, sequences, dates), told about the account's own words: its username,
its display name and the application's name."""

from __future__ import annotations

import functools
import re

from flask import current_app
from flask_babel import lazy_gettext as _l
from werkzeug.security import check_password_hash, generate_password_hash
from zxcvbn import zxcvbn

#: words an attacker tries first against this application's accounts
APPLICATION_WORDS = ("caseapp",)
#: what must be left of a password once the account's own words and all punctuation are taken out
MIN_OTHER_CHARACTERS = 4
#: zxcvbn reads at most this many characters (the rest of a longer password only makes it stronger)
ZXCVBN_MAX_LENGTH = 72


def password_problem(password: str | None, *, username: str = "", display_name: str = "") -> str | None:
    """Why this password may not be used by this account, or None when it may."""
    config = current_app.config
    password = password or ""
    if len(password) < config["PASSWORD_MIN_LENGTH"]:
        return _l("At least %(n)d characters.", n=config["PASSWORD_MIN_LENGTH"])
    if len(password) > config["PASSWORD_MAX_LENGTH"]:
        return _l("At most %(n)d characters.", n=config["PASSWORD_MAX_LENGTH"])
    own_words = _own_words(username, display_name)
    if len(_strip_words(password, own_words)) < MIN_OTHER_CHARACTERS:
        return _l("Your name, username or the application's name cannot be your password.")
    result = zxcvbn(password[:ZXCVBN_MAX_LENGTH], user_inputs=own_words)
    if result["score"] < config["PASSWORD_MIN_SCORE"]:
        return _l(
            "This password is too easy to guess (a common password, a name, a pattern or a "
            "repeat). A few unrelated words make a strong one."
        )
    return None


def _own_words(username: str, display_name: str) -> list[str]:
    """The account's words, whole and in parts (`tamar.beridze` -> tamar, beridze, tamarberidze)."""
    words = {*APPLICATION_WORDS}
    for text in (username, display_name):
        parts = [p for p in re.split(r"[\W_]+", (text or "").casefold()) if p]
        words.update(p for p in parts if len(p) >= 3)
        if parts:
            words.add("".join(parts))
    return sorted(words, key=len, reverse=True)


def _strip_words(password: str, words: list[str]) -> str:
    """The letters and digits of the password that are not one of the words (longest taken out first)."""
    rest = re.sub(r"[\W_]+", "", password.casefold())
    for word in words:
        rest = rest.replace(word, "")
    return rest


@functools.cache
def _dummy_hash(method: str) -> str:
    return generate_password_hash("not anyone's password", method=method)


def check_dummy_password(password: str) -> bool:
    """Spend the time of a real password check on a hash nobody's password matches: a login with an
    unknown username takes as long as one with a wrong password, so timing does not tell usernames."""
    check_password_hash(_dummy_hash(current_app.config["PASSWORD_HASH_METHOD"]), password or "")
    return False
