"""The exports domain's job kinds, by name (exports/tasks.py registers them)."""

BUILD_EXPORT = "build_export"
PRUNE_EXPORTS = "prune_exports"
