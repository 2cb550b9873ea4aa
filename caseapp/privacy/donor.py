"""The named list for a donor: the people behind one figure of the report, by name, for a donor who asks
who was assisted. It is the one export of named data meant to leave the organisation, so it holds only
people who consented to "sharing named data with a donor" (ConsentPurpose.DONOR_SHARING).

Other exports are not for donors: the report and its exports hold figures, no names; the export in the
import format (administrators) moves the agency's own data between its systems; the file of a person's own
data goes to that person."""

from __future__ import annotations

from dataclasses import dataclass

from flask_babel import gettext as _

from caseapp.consent import ConsentPurpose, consent_missing
from caseapp.extensions import db
from caseapp.returnees.models import Returnee
from caseapp.timeutil import age_on


@dataclass
class DonorList:
    consented: list[tuple[Returnee, str]]
    #: (person, office, the refusal naming the missing consent)
    refused: list[tuple[Returnee, str, str]]


def split_by_consent(listed) -> DonorList:
    """The people of a drill-down query (rows of returnee and office name), split by their consent."""
    consented, refused = [], []
    for returnee, office in db.session.execute(listed).all():
        refusal = consent_missing(returnee, ConsentPurpose.DONOR_SHARING)
        if refusal is None:
            consented.append((returnee, office))
        else:
            refused.append((returnee, office, refusal))
    return DonorList(consented, refused)


DONOR_COLUMNS = ("returnee_number", "first_name", "last_name", "sex", "age_at_return", "field_office", "return_date")


def donor_rows(people: list[tuple[Returnee, str]]) -> list[list]:
    return [
        [
            returnee.id,
            returnee.first_name,
            returnee.last_name,
            returnee.sex.value,
            age_on(returnee.date_of_birth, returnee.return_date),
            office,
            returnee.return_date,
        ]
        for returnee, office in people
    ]


def refusal_summary(donor_list: DonorList) -> str:
    return _(
        "The named list is not exported: %(missing)d of %(total)d people have not consented to: %(purpose)s.",
        missing=len(donor_list.refused),
        total=len(donor_list.refused) + len(donor_list.consented),
        purpose=ConsentPurpose.DONOR_SHARING.label,
    )
