"""Whether the returnee consented to being referred: the one question referrals ask about consent.

Until consent per purpose exists (caseapp.consent, ConsentPurpose.REFERRAL), the returnee's one consent field
answers it; the integrator points this function at caseapp.consent.consent_missing(returnee, purpose)."""

from __future__ import annotations

from datetime import date

from flask_babel import lazy_gettext as _l


def consent_missing(returnee, purpose: str = "referral", on: date | None = None):
    """None when the returnee consented to `purpose` (on the day `on`), else the refusal naming what is
    missing."""
    if not returnee.consent_given:
        return _l(
            "%(name)s has not given consent to referral: record the consent on the personal data first.",
            name=returnee.full_name,
        )
    if on is not None and returnee.consent_date is not None and returnee.consent_date > on:
        return _l(
            "%(name)s gave consent on %(date)s, after the day of this referral.",
            name=returnee.full_name,
            date=returnee.consent_date.isoformat(),
        )
    return None
