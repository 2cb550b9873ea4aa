"""Funding: money and records against projects. What a project has committed, delivered and has left per
currency (`budget.py`), the budget check an approver sees (`rules.py`), the project's budget page, and the
admin's bulk reassignment of records to another project (`reassignment.py`). Sits above assistance (it
reads the records) and below review (the approval page asks it)."""
