"""The `casework` command line: the same services as the API, called in-process."""
