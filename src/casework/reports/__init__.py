"""Case reports of a collection (PDF, HTML, the inventory CSV) and its saved questions."""
