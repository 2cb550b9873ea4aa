"""People who came home (returnees) and their reintegration cases."""
