"""Cross-cutting pieces every domain leans on: settings, database, errors."""
