"""What a request may carry into a query: numbers the database can hold, text without control characters.

Anything a user can type in an address or a form must give a page or a 4xx, never a 500. Ids and page
numbers therefore stop at the largest INTEGER of PostgreSQL (SQLite's is larger), and control characters
(NUL and the like), which no one types and PostgreSQL refuses in text, end the request with 400 before a
view sees them."""
from __future__ import annotations

import re

from flask import abort, request
from flask_babel import lazy_gettext as _l
from werkzeug.routing import IntegerConverter

#: the largest value of an INTEGER column (PostgreSQL; SQLite's is larger)
DB_INT_MAX = 2**31 - 1


def db_int(text: str) -> int:
    """A non-negative integer that fits an INTEGER column; ValueError for anything else, so that
    `request.args.get(name, default, type=db_int)` falls back to the default."""
    text = (text or "").strip()
    if not (text.isascii() and text.isdigit()):
        raise ValueError(text)
    value = int(text)
    if value > DB_INT_MAX:
        raise ValueError(text)
    return value


class DatabaseIdConverter(IntegerConverter):
    """`<int:...>` in a route: an id larger than any row can have matches no route (404)."""

    def __init__(self, map, *args, **kwargs):
        kwargs.setdefault("max", DB_INT_MAX)
        super().__init__(map, *args, **kwargs)


#: characters no text takes: PostgreSQL refuses NUL, and a workbook cannot hold any of them
#: (tab, line feed and carriage return are text)
CONTROL_RE = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f]")


def _has_control_characters(values) -> bool:
    return any(CONTROL_RE.search(value) for _key, value in values.items(multi=True) if isinstance(value, str))


def refuse_control_characters() -> None:
    """before_request: a control character in the query string or a form field is a bad request."""
    if _has_control_characters(request.args) or (
            request.method not in ("GET", "HEAD") and _has_control_characters(request.form)):
        abort(400, _l("The request holds invisible control characters: remove them and try again."))
