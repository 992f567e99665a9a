"""Durable background jobs: a table that is the source of truth, and workers that run it."""
