"""The batch search domain's job kinds, by name (batch_search/tasks.py registers them)."""

RUN_BATCH_SEARCH = "run_batch_search"
