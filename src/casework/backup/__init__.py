"""Backups of a whole installation (database, blobs, indexes) and their verified restore."""
