"""Users and their memberships in workspaces."""
