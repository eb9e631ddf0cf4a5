"""The one exception type users see: its message is written for a student, not a developer."""


class NNStudioError(ValueError):
    """Bad input or an impossible request, explained in one sentence.

    The command line prints it as one line on stderr and exits with code 2;
    the app shows it in a dialog or the status bar. Nothing else is lost.
    """
