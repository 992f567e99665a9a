"""Workspaces: the tenant boundary. Every workspace-owned row carries `workspace_id`."""
