"""The search domain's job kinds, by name: services enqueue these without importing the
handlers (search/tasks.py registers them)."""

EMBED_DOCUMENT = "embed_document"
EMBED_NOTE = "embed_note"
