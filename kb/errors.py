class KBError(Exception):
    """A failure with a one-line Chinese message that the CLI prints and the UI shows."""
