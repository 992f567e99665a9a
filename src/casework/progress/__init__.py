"""Ingest transparency: upload batches, progress by state and stage, failures, retry."""
