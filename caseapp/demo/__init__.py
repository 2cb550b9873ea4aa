"""A synthetic demo dataset: invented people, so that a new user can click through a realistic system."""
