"""Redaction: marking regions of PDF pages, and producing a copy in which what lies under
them is gone (text layer and picture), checked by reading the copy back."""
