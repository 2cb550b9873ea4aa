"""A project's logframe indicators as data: what each counts (measure, assistance types, filters) and its
targets per reporting period. Their actual figures are counted in caseapp/reports/indicators.py, through
the report's own counting rules."""
