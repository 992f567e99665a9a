"""The reports domain's job kinds, by name (reports/tasks.py registers them)."""

GENERATE_REPORT = "generate_report"
