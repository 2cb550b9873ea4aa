"""What a database holds, table by table: the number of rows and a checksum of their content.

Two databases (a live one and its restored backup, or one database before and after a migration) hold
the same data exactly when their fingerprints are equal. Values are read as the driver returns them,
without the models' types, so that any change to what is stored shows, and so that tables the models no
longer describe (an older revision's) can be read too.
"""
from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass

import sqlalchemy as sa
from sqlalchemy.engine import Connection


@dataclass(frozen=True)
class Fingerprint:
    rows: int
    sha256: str


def table_columns(connection: Connection) -> dict[str, list[str]]:
    """Every table of the connection's default schema and its columns, as the database has them."""
    inspector = sa.inspect(connection)
    return {table: [column["name"] for column in inspector.get_columns(table)]
            for table in inspector.get_table_names()}


def fingerprints(connection: Connection) -> dict[str, Fingerprint]:
    """Every table's row count and a checksum of its rows (in primary-key order)."""
    result = {}
    for table, names in sorted(table_columns(connection).items()):
        digest, count = hashlib.sha256(), 0
        for row in _rows(connection, table, names):
            digest.update("\x1f".join(_canonical(value) for value in row).encode() + b"\n")
            count += 1
        result[table] = Fingerprint(count, digest.hexdigest())
    return result


def column_fingerprints(connection: Connection) -> dict[tuple[str, str], Fingerprint]:
    """Every column's row count and checksum of its values in primary-key order (the key included in
    each value), so that two databases whose tables differ in columns can be compared column by column."""
    inspector = sa.inspect(connection)
    result = {}
    for table, names in sorted(table_columns(connection).items()):
        key = inspector.get_pk_constraint(table)["constrained_columns"] or names
        digests = [hashlib.sha256() for _ in names]
        count = 0
        for row in _rows(connection, table, key + names):
            prefix = "\x1f".join(_canonical(value) for value in row[:len(key)])
            for digest, value in zip(digests, row[len(key):]):
                digest.update(f"{prefix}\x1e{_canonical(value)}\n".encode())
            count += 1
        result.update({(table, name): Fingerprint(count, digest.hexdigest()) for name, digest in zip(names, digests)})
    return result


def _rows(connection: Connection, table: str, names: list[str]):
    key = sa.inspect(connection).get_pk_constraint(table)["constrained_columns"] or names
    quote = connection.dialect.identifier_preparer.quote
    # bandit B608 is a false positive: the names are the database's own (its inspector), each quoted by the
    # dialect; nothing comes from a user
    statement = "SELECT {} FROM {} ORDER BY {}".format(  # nosec B608
        ", ".join(quote(name) for name in names), quote(table), ", ".join(quote(name) for name in key))
    result = connection.exec_driver_sql(statement)
    while chunk := result.fetchmany(5000):
        yield from chunk


def _canonical(value) -> str:
    if isinstance(value, (dict, list)):  # PostgreSQL's driver parses JSON; key order is not content
        return json.dumps(value, sort_keys=True, default=str)
    if isinstance(value, memoryview):
        return bytes(value).hex()
    return repr(value)
