"""Demo consent: most people agreed to assistance at their return, fewer to the other purposes, some were
never asked about one (the consent gaps list is not empty) and a few withdrew a consent later."""

from __future__ import annotations

import random
from datetime import date, timedelta

from sqlalchemy import select

from caseapp.consent.models import ConsentMethod, ConsentPurpose, ConsentRecord
from caseapp.extensions import db
from caseapp.returnees.models import Returnee

#: purpose -> (share given, share refused); the rest were never asked
SHARES = {
    ConsentPurpose.ASSISTANCE: (0.97, 0.0),
    ConsentPurpose.REFERRAL: (0.8, 0.05),
    ConsentPurpose.FOLLOW_UP: (0.8, 0.05),
    ConsentPurpose.DONOR_SHARING: (0.5, 0.2),
    ConsentPurpose.PHOTOS: (0.3, 0.3),
}


def seed_demo_consents(seed: int, on: date) -> None:
    """Consent records for every returnee that has none yet."""
    rng = random.Random(seed + 16)
    asked = select(ConsentRecord.returnee_id)
    people = db.session.scalars(select(Returnee).where(Returnee.id.not_in(asked)).order_by(Returnee.id)).all()
    for person in people:
        method = ConsentMethod.SIGNED_FORM if rng.random() < 0.85 else ConsentMethod.VERBAL
        for purpose, (given, refused) in SHARES.items():
            draw = rng.random()
            if draw >= given + refused:
                continue
            db.session.add(
                ConsentRecord(
                    returnee_id=person.id,
                    purpose=purpose,
                    given=draw < given,
                    decided_on=person.return_date,
                    method=method,
                    recorded_by_id=person.created_by_id,
                    recorded_by_name="demo",
                )
            )
            if draw < given and purpose != ConsentPurpose.ASSISTANCE and rng.random() < 0.04:
                later = min(person.return_date + timedelta(days=rng.randrange(30, 400)), on)
                db.session.add(
                    ConsentRecord(
                        returnee_id=person.id,
                        purpose=purpose,
                        given=False,
                        decided_on=later,
                        method=ConsentMethod.VERBAL,
                        recorded_by_id=person.created_by_id,
                        recorded_by_name="demo",
                        note="Asked by phone not to be contacted for this any more.",
                    )
                )
    db.session.flush()
