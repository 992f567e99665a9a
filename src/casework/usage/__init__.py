"""Usage analytics: searches and their response time per workspace and day."""
