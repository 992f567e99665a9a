"""Ingestion: from an uploaded stream to a searchable document."""
