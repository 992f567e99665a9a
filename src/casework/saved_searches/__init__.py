"""Saved searches: a named keyword query (and collection), and alerts by webhook or e-mail
when a new document matching it becomes searchable, at most once per document."""
