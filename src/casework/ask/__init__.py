"""Ask: questions answered from the workspace's material, with citations to page and passage."""
