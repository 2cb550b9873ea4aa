"""Consent per purpose: what each returnee agreed to (assistance, referral, sharing named data with a donor,
follow-up contact, photos), when, how and who recorded it. Records are only ever added: a withdrawal is a
new record, so the history of every decision stays. `consent_missing(returnee, purpose)` is the one
question every feature asks before it uses a person's data for a purpose."""

from caseapp.consent.models import ConsentMethod, ConsentPurpose, ConsentRecord
from caseapp.consent.rules import consent_missing

__all__ = ["ConsentMethod", "ConsentPurpose", "ConsentRecord", "consent_missing"]
