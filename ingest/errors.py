class IngestError(Exception):
    """A file that cannot be ingested; `str(err)` is a one-line Chinese message for staff."""
