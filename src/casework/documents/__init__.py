"""Documents: uploaded originals, their metadata, extracted pages and status."""
