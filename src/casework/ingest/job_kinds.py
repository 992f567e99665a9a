"""The ingest domain's job kinds, by name: services enqueue these without importing the
handlers (ingest/tasks.py registers them)."""

PROCESS_DOCUMENT = "process_document"
DERIVE_PREVIEWS = "derive_previews"
RECHUNK_DOCUMENT = "rechunk_document"
RECHUNK_NOTE = "rechunk_note"
