"""``python -m sweep.cli``: the same as the ``sweep`` command."""

from sweep.cli import entry

entry()
