"""The one error type of the ``ember`` command."""


class CommandError(Exception):
    """A problem with the user's arguments or files: printed as one line, no traceback."""
