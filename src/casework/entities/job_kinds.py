"""The entities domain's job kinds, by name (entities/tasks.py registers them)."""

EXTRACT_ENTITIES = "extract_entities"
