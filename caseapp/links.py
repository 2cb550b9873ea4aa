"""Many links to one page from a single `url_for`: the row links of a list, the drill-down links of a report.

`url_for` matches the endpoint's rule, converts and checks every value and encodes the query string each
time: ~10 us, 456 times on the report page. The links here are built once with `url_for` and completed per
row by plain string work that gives the same text (tests/test_links.py compares every link of a report
and of a list with `url_for`'s).
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from urllib.parse import urlencode

from flask import url_for

#: a value no id column will reach soon; it stands for the id while the link is built
_STAND_IN = 987654321987654321
#: the characters Werkzeug leaves unescaped in a query string (werkzeug.urls._urlencode)
_QUERY_SAFE = "!$'()*,/:;?@"


def id_link(endpoint: str, argument: str, **values) -> Callable[[int], str]:
    """`url_for(endpoint, **values, argument=record_id)` as a function of the (integer) id.

    Use: `{% set returnee_url = id_link('returnees.show', 'returnee_id') %}` ... `{{ returnee_url(id) }}`."""
    built = url_for(endpoint, **values, **{argument: _STAND_IN})
    head, found, tail = built.partition(str(_STAND_IN))
    if not found or str(_STAND_IN) in tail:  # not an integer path part after all: url_for each time
        return lambda record_id: url_for(endpoint, **values, **{argument: record_id})
    return lambda record_id: f"{head}{int(record_id)}{tail}"


def query_string(args: Mapping[str, object]) -> str:
    """`args` encoded as `url_for` encodes the arguments that are not part of the path (None left out)."""
    return urlencode([(key, value) for key, value in args.items() if value is not None], safe=_QUERY_SAFE)


class QueryLinks:
    """Links to one page that differ only in their query string: `links(first, second, ...)` is
    `url_for(endpoint, **first, **second, ...)` for mappings whose keys do not repeat. A part that many
    links share (the report's filters for a cell's row) may be given already encoded, as a `str`."""

    def __init__(self, endpoint: str, **values):
        self.base = url_for(endpoint, **values)

    def __call__(self, *parts: Mapping[str, object] | str) -> str:
        encoded = [part if isinstance(part, str) else query_string(part) for part in parts]
        query = "&".join(text for text in encoded if text)
        return f"{self.base}?{query}" if query else self.base
