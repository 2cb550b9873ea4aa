"""The change log: who did what to which record, when, with old and new values."""
