"""Administration: field offices, staff accounts and the assistance catalog."""
