"""Tags: workspace-wide labels attached to documents and notes."""
