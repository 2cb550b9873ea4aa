"""Staff accounts, roles, login and the permission policies every view and query asks."""
