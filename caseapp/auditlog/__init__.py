"""The audit page: who opened, searched, exported, changed or signed in, in plain words, filterable, with
its CSV export; and on each returnee's page "who opened or changed this file"."""
