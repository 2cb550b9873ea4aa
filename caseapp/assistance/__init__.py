"""The assistance catalog and the record of every piece of assistance a returnee receives."""
