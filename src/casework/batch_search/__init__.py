"""Batch search: a CSV of terms run against a workspace's documents, each term's hit count
and unique hits (documents no other term of the list found), in the API and as CSV."""
