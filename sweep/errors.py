"""User-facing errors: one line, exit status 2, no traceback."""

from __future__ import annotations

import os
from pathlib import Path


class UserError(Exception):
    """A mistake in the user's input (path, file schema, study file, option).

    The CLI prints ``error: <message>`` on one line and exits with status 2.
    """

    exit_code = 2


def check_can_write(path: str | os.PathLike[str], folder: bool = False) -> None:
    """Refuse, before anything is written, a ``path`` that cannot be created: under a file, in a folder
    without write permission, or a folder where a file is wanted (``folder=False``) and vice versa."""
    path = Path(path)
    if path.exists():
        if folder and not path.is_dir():
            raise UserError(f"{path}: exists and is not a folder")
        if not folder and path.is_dir():
            raise UserError(f"{path}: is a folder; give a file name")
    ancestor = path if folder and path.is_dir() else path.parent
    while not ancestor.exists() and ancestor != ancestor.parent:
        ancestor = ancestor.parent
    if not ancestor.is_dir():
        raise UserError(f"{path}: cannot be written, {ancestor} is a file, not a folder")
    if not os.access(ancestor, os.W_OK | os.X_OK):
        raise UserError(f"{path}: cannot be written, no write permission in {ancestor}")
