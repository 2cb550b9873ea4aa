"""The analytics tables the report counts from: one row per person, and delivered or pipeline records counted
per person x type x status x day x project, kept exact by database triggers in the same transaction as every
write (models.py; the triggers are in the migration h15a_01), rebuilt and checked by `flask --app caseapp
analytics rebuild|check` (services.py, cli.py)."""
