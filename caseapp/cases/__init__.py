"""Reintegration cases: opening, status workflow, plan, follow-up, assignment, closing and reopening."""
