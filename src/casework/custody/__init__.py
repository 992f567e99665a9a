"""Chain of custody: every arrival of a document's bytes (who, when, from where), and its
digests for interchange with other forensic tools."""
