"""The productions domain's job kinds, by name (productions/tasks.py registers them)."""

BUILD_PRODUCTION = "build_production"
