"""Supervisor review: the review queue, case reviews, reassignment and "my requests"."""
