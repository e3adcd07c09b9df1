"""Write a file so that readers never see half of it: into a temporary file beside it, then rename."""

from __future__ import annotations

import os
import uuid
from pathlib import Path
from typing import Callable


def write_atomically(path: Path, write: Callable[[Path], None]) -> None:
    """Call ``write(tmp)`` on a temporary path in ``path``'s folder (same suffix, so writers that pick the
    format from it — numpy, h5py, Keras — behave), then rename it over ``path``. On any error the temporary
    file is removed and ``path`` is left as it was."""
    path = Path(path)
    tmp = path.with_name(f".{path.stem}.tmp-{uuid.uuid4().hex}{path.suffix}")
    try:
        write(tmp)
        os.replace(tmp, path)
    finally:
        tmp.unlink(missing_ok=True)
