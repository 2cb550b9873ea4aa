"""Duplicate records of one person: matching across scripts (matching.py), the list of likely pairs
(queries.py), the side-by-side decision and the audited, reversible merge (services.py, views.py), and the
`find-duplicates` command (cli.py)."""
