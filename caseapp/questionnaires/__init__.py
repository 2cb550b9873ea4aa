"""Questionnaires kept as data: the versioned definitions of the intake assessment and of the
Reintegration Sustainability Survey, the three dimensions of reintegration, and the form built from a
definition."""
