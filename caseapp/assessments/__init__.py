"""The intake assessment of a case: vulnerability screening first (the returnee's own vulnerabilities, the
one source the reports count), then needs and skills in the economic, social and psychosocial dimensions;
dated and signed by who did it, on a versioned questionnaire."""
