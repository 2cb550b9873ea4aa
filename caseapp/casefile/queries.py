"""The returnee list: returnees with their current case and caseworker, filtered by case status,
assistance received and vulnerability. It reads three features at once, so it lives above them."""

from __future__ import annotations

from dataclasses import dataclass, field

from sqlalchemy import Select, and_, exists, or_, select
from sqlalchemy.orm import aliased

from caseapp.assistance.models import AssistanceRecord, AssistanceStatus, AssistanceType
from caseapp.auth.models import User
from caseapp.cases.models import Case, CaseStatus
from caseapp.keyset import KeysetPage, keyset_page
from caseapp.offices.models import FieldOffice
from caseapp.pagination import count_rows
from caseapp.returnees.models import Returnee, ReturneeVulnerability
from caseapp.returnees.queries import scoped_returnees, text_search_ids

SORTS = {
    "name": (Returnee.last_name, Returnee.first_name, Returnee.id),
    "return_date": (Returnee.return_date, Returnee.id),
    "date_of_birth": (Returnee.date_of_birth, Returnee.id),
    "office": (FieldOffice.name, Returnee.last_name, Returnee.id),
    "registered": (Returnee.created_at, Returnee.id),
}


@dataclass
class ReturneeFilters:
    text: str = ""
    office_id: int | None = None
    case_status: str = ""
    type_code: str = ""
    vulnerability: str = ""
    sort: str = "name"
    descending: bool = False
    ids: list[int] = field(default_factory=list)  # drill-down from a report: exactly these returnees
    #: only returnees whose case (not closed) is assigned to this user ("My open cases", all of them)
    caseworker_id: int | None = None


@dataclass
class ReturneeRow:
    returnee: Returnee
    office_name: str
    case: Case | None
    caseworker_name: str | None
    has_closed_case: bool


def filtered_returnees(user: User, filters: ReturneeFilters) -> Select:
    query = scoped_returnees(user)
    text = filters.text.strip()
    if text:
        compact = text.replace(" ", "")
        if compact.isdigit():
            # digits only: a personal number or an external id, both found through their unique indexes
            query = query.where(or_(Returnee.personal_number == compact, Returnee.external_id == text))
        else:
            query = query.where(Returnee.id.in_(text_search_ids(text)))
    if filters.office_id:
        query = query.where(Returnee.field_office_id == filters.office_id)
    # Filters are IN (subquery) rather than correlated EXISTS: the database then reads the few matching
    # ids once through an index instead of probing once per returnee (see bench/returnee_list.py).
    if filters.case_status:
        any_case = select(Case.returnee_id)
        not_closed = select(Case.returnee_id).where(Case.status != CaseStatus.CLOSED)
        if filters.case_status == "none":
            query = query.where(Returnee.id.not_in(any_case))
        elif filters.case_status == CaseStatus.CLOSED.value:
            query = query.where(
                Returnee.id.in_(any_case.where(Case.status == CaseStatus.CLOSED)), Returnee.id.not_in(not_closed)
            )
        else:
            query = query.where(Returnee.id.in_(any_case.where(Case.status == CaseStatus(filters.case_status))))
    if filters.type_code:
        query = query.where(
            Returnee.id.in_(
                select(AssistanceRecord.returnee_id)
                .join(AssistanceType, AssistanceType.id == AssistanceRecord.type_id)
                .where(AssistanceRecord.status == AssistanceStatus.DELIVERED, AssistanceType.code == filters.type_code)
            )
        )
    if filters.vulnerability:
        query = query.where(
            Returnee.id.in_(
                select(ReturneeVulnerability.returnee_id).where(ReturneeVulnerability.code == filters.vulnerability)
            )
        )
    if filters.ids:
        query = query.where(Returnee.id.in_(filters.ids))
    if filters.caseworker_id:
        query = query.where(
            Returnee.id.in_(
                select(Case.returnee_id).where(
                    Case.caseworker_id == filters.caseworker_id, Case.status != CaseStatus.CLOSED
                )
            )
        )
    return query


def search_returnees(
    user: User, filters: ReturneeFilters, cursor: str | None, per_page: int
) -> tuple[list[ReturneeRow], KeysetPage]:
    """One page of matching returnees with their current case, and its KeysetPage (caseapp/keyset.py).

    A fixed number of queries whatever the page size and depth: the count (through the office or name
    index), the page (with office, open case and caseworker joined in; the rows after or before the
    cursor's in the sort order, so a deep page costs what the first does), and one for the vulnerabilities
    of the page's returnees."""
    base = filtered_returnees(user, filters)
    total = count_rows(base)
    open_case = aliased(Case)
    caseworker = aliased(User)
    closed_case_exists = (
        exists().where(Case.returnee_id == Returnee.id, Case.status == CaseStatus.CLOSED).correlate(Returnee)
    )
    query = (
        base.join(FieldOffice, FieldOffice.id == Returnee.field_office_id)
        .outerjoin(open_case, and_(open_case.returnee_id == Returnee.id, open_case.status != CaseStatus.CLOSED))
        .outerjoin(caseworker, caseworker.id == open_case.caseworker_id)
        .add_columns(FieldOffice.label, open_case, caseworker.display_name, closed_case_exists)
    )
    sort = filters.sort if filters.sort in SORTS else "name"
    rows, page = keyset_page(
        query,
        SORTS[sort],
        list_name="returnees",
        order_name=f"{sort}:{'desc' if filters.descending else 'asc'}",
        cursor=cursor,
        per_page=per_page,
        total=total,
        descending=filters.descending,
    )
    return [
        ReturneeRow(returnee=r, office_name=office, case=case, caseworker_name=cw, has_closed_case=closed)
        for r, office, case, cw, closed in rows
    ], page
