"""Helpers for fixed workflow vocabularies: Python enums stored as strings with a CHECK constraint."""
import enum

import sqlalchemy as sa


class ChoiceEnum(enum.StrEnum):
    """A StrEnum whose members carry a translatable label (`label` property set per subclass)."""

    @classmethod
    def choices(cls):
        return [(member.value, member.label) for member in cls]

    @property
    def label(self) -> str:  # overridden where a friendlier label exists
        return self.value.replace("_", " ").capitalize()


def enum_column_type(enum_cls: type[enum.Enum], name: str, *, constraint: bool = True,
                     length: int | None = None) -> sa.Enum:
    """A portable enum column: VARCHAR plus a named CHECK constraint, storing the member values. Without
    the constraint (a vocabulary that grows with the code, such as the change log's actions) the values
    are checked in Python only, and a new member needs no migration."""
    return sa.Enum(
        enum_cls,
        name=name,
        native_enum=False,
        create_constraint=constraint,
        length=length or max(len(m.value) for m in enum_cls) + 8,
        values_callable=lambda cls: [m.value for m in cls],
        validate_strings=True,
    )


class Currency(ChoiceEnum):
    """The currencies money is recorded in (assistance amounts, thresholds, project budgets)."""

    GEL = "GEL"
    EUR = "EUR"
    USD = "USD"

    @property
    def label(self):
        return self.value
