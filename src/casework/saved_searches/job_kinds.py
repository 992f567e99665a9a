"""The saved searches domain's job kinds, by name (saved_searches/tasks.py registers them)."""

CHECK_SAVED_SEARCHES = "check_saved_searches"
