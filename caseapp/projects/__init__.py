"""Projects: who pays. A project (code, donor, period, offices, budget per currency, the assistance types
it may fund) funds assistance records and can be credited with a returnee's return. Records made before
projects existed, or that no project fits, belong to the "Unassigned" project until an admin reassigns
them."""
