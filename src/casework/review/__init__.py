"""Review coding: each document's responsiveness, privilege, hot flag, issues and note,
with the history of every change."""
