"""Scheduled learning: a tag classifier per workspace, trained daily, and its suggestions."""
