"""API keys: workspace-scoped credentials for scripts and integrations, stored hashed."""
