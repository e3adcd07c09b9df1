"""User-facing errors: one line, exit status 2, no traceback."""

from __future__ import annotations


class UserError(Exception):
    """A mistake in the user's input (path, file schema, study file, option).

    The CLI prints ``error: <message>`` on one line and exits with status 2.
    """

    exit_code = 2
