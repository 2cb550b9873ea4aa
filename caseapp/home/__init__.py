"""The first page after login, one per role, and the health check."""
