"""The near-duplicate domain's job kind, by name (neardup/tasks.py registers it)."""

FIND_NEAR_DUPLICATES = "find_near_duplicates"
