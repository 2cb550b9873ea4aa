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


def enum_column_type(enum_cls: type[enum.Enum], name: str) -> sa.Enum:
    """A portable enum column: VARCHAR plus a named CHECK constraint, storing the member values."""
    return sa.Enum(
        enum_cls,
        name=name,
        native_enum=False,
        create_constraint=True,
        length=max(len(m.value) for m in enum_cls) + 8,
        values_callable=lambda cls: [m.value for m in cls],
        validate_strings=True,
    )
