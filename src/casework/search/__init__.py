"""Search: passages (chunks), the keyword and vector indexes over them, and ranking."""
