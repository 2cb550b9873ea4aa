"""Monitoring visits: scheduled by rules kept as data when a trigger happens (a grant delivered, a plan
approved), recorded, moved or cancelled with their history."""
