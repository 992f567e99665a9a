"""Collections: a case, an event or a notebook that documents and notes belong to."""
