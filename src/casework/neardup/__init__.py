"""Near-duplicates: documents whose text is nearly the same (re-scans, drafts, forwarded
copies), found by MinHash signatures and LSH banding, shown as groups around a pivot."""
