"""Backups: consistent copies of the database while it is in use, restore into an empty database, and
checks that a copy holds every row (fingerprints). Imports only the low layers (config, database,
extensions, audit)."""
