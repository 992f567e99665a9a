"""casework: self-hosted document and media intelligence."""

__version__ = "0.1.0"
