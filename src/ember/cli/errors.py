"""The one error type of the ``ember`` command."""


class CommandError(Exception):
    """A problem with the user's arguments or files: printed as one line, no traceback.

    ``status`` is the exit status: 2 for a mistake in the arguments or files, 1 for a run that
    cannot go on (a diverging loss)."""

    def __init__(self, message: str, status: int = 2) -> None:
        super().__init__(message)
        self.status = status
