"""Whether the returnee consented to being referred: the one question referrals ask about consent, answered
by consent per purpose (caseapp.consent, ConsentPurpose.REFERRAL)."""

from __future__ import annotations

from datetime import date

from caseapp.consent import ConsentPurpose
from caseapp.consent import consent_missing as missing_for_purpose


def consent_missing(returnee, purpose: str = "referral", on: date | None = None) -> str | None:
    """None when the returnee consented to `purpose` on the day `on` (today by default), else the refusal
    naming what is missing."""
    return missing_for_purpose(returnee, ConsentPurpose(purpose), on=on)
