"""What a valid indicator is, as plain functions (the form and the demo alike)."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date
from decimal import Decimal, InvalidOperation

from flask_babel import lazy_gettext as _l

from caseapp.enums import Currency
from caseapp.indicators.models import IndicatorMeasure
from caseapp.returnees.models import Sex, Vulnerability

#: the report's age bands at return (caseapp.reports.counting.AgeBand, a layer above; a test keeps them equal)
AGE_BANDS = ("0-17", "18-59", "60+")
TARGET_MAX = Decimal("999999999999.99")


@dataclass
class TargetInput:
    period_start: date
    period_end: date
    target: Decimal


@dataclass
class IndicatorInput:
    """What an admin gives for an indicator. No types: every type (persons, events, amounts)."""

    name: str
    measure: IndicatorMeasure
    name_ka: str = ""
    currency: Currency | None = None
    type_ids: list[int] = field(default_factory=list)
    sex: str = ""
    age_band: str = ""
    vulnerability: str = ""
    office_id: int | None = None
    targets: list[TargetInput] = field(default_factory=list)


def parse_target(text: str | Decimal | int | None) -> Decimal:
    """A target ("120", "25000.50"); ValueError with the message for anything else."""
    try:
        value = (
            text
            if isinstance(text, Decimal)
            else Decimal(str(text if text is not None else "").strip().replace(" ", "").replace(",", ""))
        )
    except InvalidOperation:
        raise ValueError(_l("Not a number: %(text)s.", text=text)) from None
    if not value.is_finite() or value < 0:
        raise ValueError(_l("A target is a number of 0 or more."))
    if value > TARGET_MAX or value != value.quantize(Decimal("0.01")):
        raise ValueError(_l("At most two decimals and twelve digits before the point."))
    return value.quantize(Decimal("0.01"))


def indicator_errors(values: IndicatorInput) -> dict[str, object]:
    """field name -> message, for everything wrong with the input ({} when it is valid)."""
    errors: dict[str, object] = {}
    if not values.name.strip():
        errors["name"] = _l("An indicator needs a name.")
    elif len(values.name.strip()) > 300 or len((values.name_ka or "").strip()) > 300:
        errors["name"] = _l("At most 300 characters.")
    if values.measure == IndicatorMeasure.AMOUNT and values.currency is None:
        errors["currency"] = _l("An amount is counted in one currency: choose it.")
    if values.measure == IndicatorMeasure.RETURNED and values.type_ids:
        errors["type_ids"] = _l("Returns are not assistance records: leave the types empty.")
    if values.sex and values.sex not in set(Sex):
        errors["sex"] = _l("Unknown choice.")
    if values.age_band and values.age_band not in AGE_BANDS:
        errors["age_band"] = _l("Unknown choice.")
    if values.vulnerability and values.vulnerability not in set(Vulnerability):
        errors["vulnerability"] = _l("Unknown choice.")
    periods = sorted(values.targets, key=lambda t: t.period_start)
    for target in periods:
        if target.period_end < target.period_start:
            errors["targets"] = _l("A period ends before it starts.")
        elif values.measure != IndicatorMeasure.AMOUNT and target.target != target.target.to_integral_value():
            errors["targets"] = _l("A target of persons or events is a whole number.")
    for earlier, later in zip(periods, periods[1:]):
        if later.period_start <= earlier.period_end:
            errors.setdefault("targets", _l("Two periods overlap."))
    return errors
