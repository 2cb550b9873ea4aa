"""Field offices of the mission: every returnee, caseworker and supervisor belongs to one."""
