"""The administrators' use cases on indicators: add, change (with its targets), remove. Audited, flushed,
never committed."""

from __future__ import annotations

from flask_babel import lazy_gettext as _l
from sqlalchemy import select

from caseapp.assistance.models import AssistanceType
from caseapp.audit.models import AuditAction
from caseapp.audit.services import ensure_current, record_change, snapshot
from caseapp.errors import ValidationFailed
from caseapp.extensions import db
from caseapp.indicators.models import Indicator, IndicatorMeasure, IndicatorTarget
from caseapp.indicators.rules import IndicatorInput, indicator_errors
from caseapp.offices.models import FieldOffice
from caseapp.projects.models import Project


def create_indicator(actor, project: Project, values: IndicatorInput) -> Indicator:
    _check(values)
    position = db.session.scalar(select(db.func.max(Indicator.position)).where(Indicator.project_id == project.id))
    indicator = Indicator(project=project, position=(position or 0) + 1)
    db.session.add(indicator)
    _apply(indicator, values)
    record_change(actor, indicator, AuditAction.INDICATOR_CREATE)
    return indicator


def update_indicator(actor, indicator: Indicator, values: IndicatorInput, *,
                     expected_version: int | None = None) -> Indicator:  # fmt: skip
    ensure_current(indicator, expected_version)
    _check(values)
    before = snapshot(indicator)
    _apply(indicator, values)
    record_change(actor, indicator, AuditAction.INDICATOR_UPDATE, before)
    return indicator


def delete_indicator(actor, indicator: Indicator) -> None:
    before = snapshot(indicator)
    record_change(actor, indicator, AuditAction.INDICATOR_DELETE, before)
    db.session.delete(indicator)
    db.session.flush()


def _check(values: IndicatorInput) -> None:
    errors = indicator_errors(values)
    known_types = set(db.session.scalars(select(AssistanceType.id)))
    if set(values.type_ids) - known_types:
        errors["type_ids"] = _l("Unknown type of assistance.")
    if values.office_id is not None and db.session.get(FieldOffice, values.office_id) is None:
        errors["office_id"] = _l("Unknown office.")
    if errors:
        raise ValidationFailed(errors)


def _apply(indicator: Indicator, values: IndicatorInput) -> None:
    indicator.name = values.name.strip()
    indicator.name_ka = (values.name_ka or "").strip()
    indicator.measure = values.measure
    indicator.currency = values.currency if values.measure == IndicatorMeasure.AMOUNT else None
    indicator.sex = values.sex
    indicator.age_band = values.age_band
    indicator.vulnerability = values.vulnerability
    indicator.office_id = values.office_id
    indicator.assistance_types = list(
        db.session.scalars(select(AssistanceType).where(AssistanceType.id.in_(values.type_ids)))
    )
    wanted = {target.period_start: target for target in values.targets}
    for target in list(indicator.targets):
        if target.period_start not in wanted:
            indicator.targets.remove(target)
    for start, given in sorted(wanted.items()):
        target = next((t for t in indicator.targets if t.period_start == start), None)
        if target is None:
            indicator.targets.append(
                IndicatorTarget(period_start=start, period_end=given.period_end, target=given.target)
            )
        else:
            target.period_end, target.target = given.period_end, given.target
    db.session.flush()
