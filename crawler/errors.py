"""Errors shared by the command-line adapters."""


class UserError(Exception):
    """A problem with the user's input: printed as one line, exit status 2."""
