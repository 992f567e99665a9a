"""The cited timeline of a collection: every dated sentence, in date order."""
