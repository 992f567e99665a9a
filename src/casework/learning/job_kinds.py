"""The learning domain's job names (enqueued by name; the handler lives in tasks.py)."""

DAILY_RUN = "daily_run"
