"""Audit log: an append-only record of security events, per workspace."""
