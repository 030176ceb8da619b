"""Cohort syncs: pull a provider's list page by page into staging, then diff it against the stored truth.

`sync.run_sync` does one sync; `sync.sync_cohort` is its job; `service` creates cohorts and
decides which are due; `lease`, `staging`, `diff` and `runs` are the steps.
"""
