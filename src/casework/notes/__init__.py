"""Notes: markdown written in casework, indexed like documents."""
