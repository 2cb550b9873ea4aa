"""Aggregate reports: the counting rules (counting.py), small-count suppression (suppression.py), the report
page and drill-down (views.py), CSV/XLSX/JSON output (output.py) and the `report` command (cli.py)."""
