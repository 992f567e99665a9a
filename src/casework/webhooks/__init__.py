"""Outgoing webhooks: per-workspace endpoints, signed deliveries run as durable jobs."""
