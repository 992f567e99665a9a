"""Productions: Bates-numbered, redacted, privilege-screened sets of documents with load files."""
