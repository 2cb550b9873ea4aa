"""The command line's `--office NAME` (English or Georgian), shared by every command that takes one."""

from __future__ import annotations

import click

from caseapp.offices.queries import find_office


def office_id_option(name: str | None) -> int | None:
    """The id of the office `--office` names (None when the option is left out); a bad name is the option's
    error, which click prints as one `Error:` line."""
    if name is None:
        return None
    office = find_office(name)
    if office is None:
        raise click.BadParameter(f"no field office is named {name!r}", param_hint="--office")
    return office.id
