"""Share links: expiring, revocable, optionally password-protected read-only links to a
document, a collection or a collection's photo gallery, opened without an account."""
